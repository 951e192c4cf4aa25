"""End-to-end: where each http_cases request ends, as Keel reads it and as h11 (an independent HTTP/1.1 parser)
reads it. Two parsers that end a request at different bytes are how requests get smuggled."""
import functools
import unittest
from dataclasses import dataclass
from typing import Optional

import h11

from http_cases import CANARY, CASES
from keel import Keel as KeelProcesses
from test_http_conformance import for_each_case

# Keel's own reading: one process spoken to directly, in scaled mode too.
Keel = functools.partial(KeelProcesses, instances=1)

# Where h11 and Keel disagree by design, with why. Each reason is a place where h11 is more lenient or stricter
# than RFC 9112, or where the RFC leaves a choice and Keel follows nginx; none is a disagreement about where a
# request that both read ends.
KNOWN_DISAGREEMENTS = {
    "h11 checks neither the target's form (RFC 9112 §3.2) nor userinfo in it (RFC 9110 §4.2.4)":
        ("authority_form_with_get", "asterisk_form_with_get", "absolute_form_with_userinfo"),
    "h11 takes CONNECT as a switch to a tunnel; Keel is no proxy and refuses it (405)": ("authority_form_connect",),
    "h11 checks neither Host's value (RFC 9112 §3.2: 400) nor the major version (RFC 9110 §15.6.6: 505)":
        ("invalid_host", "empty_host", "http_2_0_in_a_request_line"),
    "h11 limits only heads that arrive in pieces; Keel limits every head (414, 431)":
        ("request_line_of_20_kb", "headers_of_20_kb", "2000_headers"),
    "h11 takes Transfer-Encoding on HTTP/1.0, which RFC 9112 §6.1 calls faulty framing":
        ("transfer_encoding_on_http_1_0",),
    "h11 skips chunk extensions unparsed and whitespace after a chunk size; RFC 9112 §7.1.1 allows neither":
        ("chunk_extension_without_name", "chunk_size_with_trailing_space"),
    "RFC choices where Keel refuses as nginx: obs-fold (RFC 9112 §5.2), a repeated equal Content-Length (RFC 9110 "
    "§8.6), Content-Length with Transfer-Encoding (RFC 9112 §6.1)":
        ("obs_fold", "obs_fold_of_content_length", "content_length_list_of_equal_values",
         "two_equal_content_lengths", "content_length_and_transfer_encoding"),
    "Keel refuses framing fields in a trailer section (its parser reads them like header fields); h11 and nginx "
    "drop them":
        ("chunked_trailer_content_length",),
    "RFC choices where Keel takes as nginx and h11 refuses: extra whitespace in the request line (RFC 9112 §3), "
    "an empty line before it (§2.2)":
        ("two_spaces_after_the_method", "space_after_the_version", "empty_line_before_the_request"),
}
ALLOWED = {name: reason for reason, names in KNOWN_DISAGREEMENTS.items() for name in names}


@dataclass(frozen=True)
class Reading:
    """Where one parser says the tested request ends."""
    verdict: str  # "refused"; "open-ended": its body runs past the bytes sent; "read"
    body: Optional[bytes] = None  # of a read request; None when unknown
    canary_next: Optional[bool] = None  # whether the next request starts at the canary; None when unknown

    def __str__(self):
        text = self.verdict
        if self.body is not None:
            text += f" a body of {self.body!r}"
        if self.canary_next is not None:
            text += ", then the canary" if self.canary_next else ", then not the canary"
        return text


def h11_reading(wire):
    connection = h11.Connection(h11.SERVER)
    connection.receive_data(wire)
    body = b""
    try:
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                return Reading("open-ended")
            if isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                # A connection h11 must close (HTTP/1.0, Connection: close) says nothing about the next request.
                next_request = connection.trailing_data[0].startswith(CANARY)
                return Reading("read", body, next_request if connection.their_state is h11.DONE else None)
    except h11.RemoteProtocolError:
        return Reading("refused")


def keel_reading(case, seen, canary_runs):
    """Keel's reading as its answers show it: the echoed body, and whether the canary ran next."""
    answer = seen.answer()
    if answer.refused:
        return Reading("refused")
    echoed = b"/api/v1/debug/echo " in case.request.split(b"\r\n", 1)[0] and seen.statuses == [200]
    return Reading("read", seen.body if echoed else None, None if answer.close else canary_runs == 1)


def expected_reading(case):
    """Keel's reading when it answers as the case says."""
    if case.keel.refused:
        return Reading("refused")
    echoed = case.echo is not None and case.keel.status == 200
    canary_next = None if case.keel.close else not case.keel.swallows
    return Reading("read", case.echo if echoed else None, canary_next)


def agree(keel, other):
    if keel.verdict == "refused":
        # A body running past the bytes sent: neither takes the canary for a request (h11 has no body limit).
        return other.verdict in ("refused", "open-ended")
    if other.verdict != "read":
        return False
    same_body = keel.body is None or keel.body == other.body
    same_next = keel.canary_next is None or other.canary_next is None or keel.canary_next == other.canary_next
    return same_body and same_next


class DifferentialTest(unittest.TestCase):
    def test_keel_ends_each_request_where_h11_does(self):
        def check(case, seen, canary_runs):
            self.check(case, keel_reading(case, seen, canary_runs), h11_reading(case.wire))

        with Keel() as keel:
            for_each_case(self, keel, keel.port, check)

    def test_the_table_s_answers_end_each_request_where_h11_does(self):
        # The same comparison for the answers http_cases asks of Keel: the allow-list fits the target.
        for case in CASES:
            with self.subTest(case.name):
                self.check(case, expected_reading(case), h11_reading(case.wire))

    def check(self, case, ours, theirs):
        if case.name not in ALLOWED and not agree(ours, theirs):
            self.fail(f"Keel: {ours}; h11: {theirs}")
        if case.name in ALLOWED and agree(ours, theirs):
            self.fail(f"Keel and h11 agree ({ours}), against KNOWN_DISAGREEMENTS: Keel does not answer as "
                      f"http_cases says, or the entry is stale")

    def test_known_disagreements_name_cases(self):
        self.assertLessEqual(set(ALLOWED), {case.name for case in CASES})


if __name__ == "__main__":
    unittest.main()
