"""policyqa: grounded Q&A and clause search over Chinese government policy documents."""

__version__ = "0.1.0"
