"""Version and validity notes (``policyqa.versions``)."""

from policyqa.models import Validity
from policyqa.versions import cn_date, no_longer_in_force


def test_dates_and_the_words_for_a_text_no_longer_in_force():
    assert cn_date("2025-11-01") == "2025年11月1日" and cn_date("unknown") == "unknown"
    v = Validity("repealed", "2026-06-01", "d1", "供水条例")
    assert no_longer_in_force(v) == "已自2026年6月1日起由《供水条例》废止"
    assert no_longer_in_force(Validity("superseded", "2025-11-01")) == "已自2025年11月1日起取代"
    assert no_longer_in_force(Validity("not_yet_in_force")) == "尚未施行"
