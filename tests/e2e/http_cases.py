"""HTTP/1.1 conformance cases for test_http_conformance and test_http_differential: raw request bytes, the answer
Keel must give (RFC 9112; where the RFCs leave a choice, what nginx does) and the answer nginx 1.22 gives.

On the wire every case is `request + CANARY + CLOSER`. The canary is a second request whose execution shows in
Keel's metrics and, when answered, by its X-Request-ID: after a request the server refuses (and so closes on) it
must not run; after one the server reads to its end it must. The closer ends the exchange, so a connection that
stays open closes without waiting for a timeout.

The nginx column is what `location / { return 200 "ok\\n"; }` on nginx 1.22 answers (test_http_conformance's
NginxColumnTest re-runs it); a note says why wherever Keel's answer differs from it.
"""
from dataclasses import dataclass
from typing import Optional

CANARY = b"GET /api/v1/debug/sleep?ms=0 HTTP/1.1\r\nHost: t\r\nX-Request-ID: canary\r\n\r\n"
CLOSER = b"GET /health HTTP/1.1\r\nHost: t\r\nX-Request-ID: closer\r\nConnection: close\r\n\r\n"
# The counter the canary moves: no tested request uses its route.
CANARY_METRIC = 'keel_http_requests_total{method="GET",route="/api/v1/debug/sleep",status="200"}'

# The echo route answers with exactly the body bytes Keel read (debug.routes, on in the e2e harness).
ECHO = b"POST /api/v1/debug/echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"


@dataclass(frozen=True)
class Answer:
    status: Optional[int]  # of the answer to the tested request; None: no answer
    close: bool  # nothing after the tested request is answered: the connection closes
    # The connection stays open but the canary's bytes were taken as part of the tested request: only the
    # closer is answered.
    swallows: bool = False

    @property
    def refused(self):
        """The server refused the request and closed: it never said where the request ends."""
        return self.close and (self.status is None or self.status >= 400)


def keeps(status):
    return Answer(status, close=False)


def closes(status=None):
    return Answer(status, close=True)


def swallows(status):
    return Answer(status, close=False, swallows=True)


@dataclass(frozen=True)
class Case:
    name: str
    request: bytes  # the tested request; CANARY and CLOSER follow it
    keel: Answer  # what Keel must answer, spoken to directly
    nginx: Answer  # what nginx 1.22 answers
    # The body any server that reads this request must read: the echo route answers with it.
    echo: Optional[bytes] = None
    # Scaled mode: what a client gets through nginx in front of Keel, where front_answer() cannot derive it.
    front: Optional[Answer] = None
    note: str = ""  # why: where a choice was made, or Keel differs from nginx

    @property
    def wire(self):
        return self.request + CANARY + CLOSER


def front_answer(case):
    """What a client gets through nginx in front of Keel: nginx's own refusal; or, when both take the request,
    Keel's answer on nginx's connection (nginx keeps the client's connection whatever Keel does with its own).
    Where nginx takes what Keel refuses, nginx forwards its own reading, and the case says what comes back."""
    if case.front is not None:
        return case.front
    if case.nginx.refused:
        return case.nginx
    assert not case.keel.refused, f"{case.name}: nginx takes what Keel refuses; the case needs front="
    return Answer(case.keel.status, case.nginx.close, case.nginx.swallows)


def differs_from_nginx(case):
    """Whether Keel's answer differs from nginx's in kind: one refuses what the other takes, they refuse with
    different codes, or they frame the connection differently. (Which route answers, e.g. 404 against nginx's
    `return 200`, is no difference.)"""
    keel, nginx = case.keel, case.nginx
    if keel.refused or nginx.refused:
        return keel.refused != nginx.refused or keel.status != nginx.status
    return keel.close != nginx.close or keel.swallows != nginx.swallows


def echo(framing, body):
    """A POST to the echo route; `framing`: header lines (each ending in CRLF) saying how long the body is."""
    return ECHO + framing + b"\r\n" + body


def chunked(body):
    return echo(b"Transfer-Encoding: chunked\r\n", body)


def get(target=b"/health", version=b"HTTP/1.1", headers=b"Host: t\r\n"):
    return b"GET " + target + b" " + version + b"\r\n" + headers + b"\r\n"


def many_headers(count):
    return b"".join(b"X-H%d: v\r\n" % i for i in range(count))


NOT_CHUNKED_LAST = ("RFC 9112 §6.3: the final coding is not chunked, so the body's end is unknown: 400 and close. "
                    "nginx answers 501 to every Transfer-Encoding but `chunked`.")
NGINX_DROPS_INVALID_HEADERS = ("nginx drops invalid header lines (ignore_invalid_headers on); a field line must be "
                               "`token: value` (RFC 9112 §5), so Keel refuses.")

CASES = [
    # --- The request line: methods -----------------------------------------------------------------------------
    Case("get_origin_form", get(), keeps(200), keeps(200)),
    Case("post_with_content_length", echo(b"Content-Length: 5\r\n", b"[1,2]"), keeps(200), keeps(200),
         echo=b"[1,2]"),
    Case("unknown_method_on_a_route", b"FOO /health HTTP/1.1\r\nHost: t\r\n\r\n", keeps(501), keeps(200),
         note="RFC 9110 §9.1: a method the server does not recognize SHOULD get 501 (a defined method a route "
              "does not take gets 405 with Allow). nginx's `return` takes any method."),
    Case("unknown_method_on_no_route", b"FOO /nope HTTP/1.1\r\nHost: t\r\n\r\n", keeps(501), keeps(200)),
    Case("lowercase_method", b"get /health HTTP/1.1\r\nHost: t\r\n\r\n", keeps(501), closes(400),
         note="Differs from nginx: methods are case-sensitive tokens (RFC 9110 §9.1), so `get` is a valid, "
              "unknown method: 501 like FOO. nginx parses upper-case methods only (400)."),
    Case("method_with_nul", b"GE\x00T /health HTTP/1.1\r\nHost: t\r\n\r\n", closes(400), closes(400)),
    Case("405_keeps_the_connection", b"DELETE /health HTTP/1.1\r\nHost: t\r\n\r\n", keeps(405), keeps(200)),
    Case("404_keeps_the_connection", get(b"/nope"), keeps(404), keeps(200)),
    Case("415_keeps_the_connection",
         b"POST /api/v1/debug/echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n"
         b"[1,2]", keeps(415), keeps(200)),

    # --- The request line: the four forms of the target ----------------------------------------------------------
    Case("absolute_form", get(b"http://example.com/health"), keeps(200), keeps(200),
         note="RFC 9112 §3.2.2: servers MUST accept absolute-form; Keel routes it by its path."),
    Case("absolute_form_with_port_query_and_other_host", get(b"https://Example.COM:8443/health?x=1"), keeps(200),
         keeps(200)),
    Case("absolute_form_without_path", get(b"http://example.com"), keeps(200), keeps(200),
         note="An empty path means / (RFC 9110 §4.2.3): the console's page."),
    Case("absolute_form_post", b"POST http://example.com/api/v1/debug/echo HTTP/1.1\r\nHost: t\r\n"
         b"Content-Type: application/json\r\nContent-Length: 3\r\n\r\n[7]", keeps(200), keeps(200), echo=b"[7]"),
    Case("absolute_form_with_userinfo", get(b"http://u:p@example.com/health"), closes(400), closes(400),
         note="RFC 9110 §4.2.4: a recipient SHOULD treat userinfo in an http(s) URI as an error; nginx does."),
    Case("absolute_form_without_host", get(b"http://example.com/health", headers=b""), closes(400), closes(400),
         note="Host is required on HTTP/1.1 whatever the target's form (RFC 9112 §3.2)."),
    Case("authority_form_connect", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
         closes(405), closes(400),
         note="Differs from nginx: Keel is no proxy, so CONNECT is a method no resource allows: 405 (RFC 9110 "
              "§9.3.6), and close (what follows may be tunnel bytes). nginx parses no authority-form: 400."),
    Case("authority_form_with_get", get(b"example.com:443"), closes(400), closes(400)),
    Case("asterisk_form_options", b"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n", keeps(204), closes(400),
         note="Differs from nginx: RFC 9112 §3.2.4 defines the asterisk-form for OPTIONS, asking about the server "
              "itself (RFC 9110 §9.3.7); Keel answers 204 with the server's methods in Allow. nginx parses no "
              "asterisk-form (400)."),
    Case("asterisk_form_with_get", get(b"*"), closes(400), closes(400)),
    Case("target_with_nul", get(b"/hea\x00lth"), closes(400), closes(400)),
    Case("target_of_7_kb", get(b"/health?" + b"a" * 7000), keeps(200), keeps(200)),
    Case("request_line_of_20_kb", get(b"/health?" + b"a" * 20000), closes(414), closes(414),
         note="414 when the request line alone is over the head limit, as nginx."),

    # --- The request line: versions ----------------------------------------------------------------------------
    Case("http_1_0_closes_after_the_answer", get(version=b"HTTP/1.0"), closes(200), closes(200)),
    Case("http_1_0_keep_alive", get(version=b"HTTP/1.0", headers=b"Host: t\r\nConnection: keep-alive\r\n"),
         keeps(200), keeps(200)),
    Case("http_1_0_keep_alive_and_close",
         get(version=b"HTTP/1.0", headers=b"Host: t\r\nConnection: keep-alive, close\r\n"), closes(200),
         closes(200), note="`close` wins (RFC 9112 §9.3)."),
    Case("http_1_0_without_host", get(version=b"HTTP/1.0", headers=b""), closes(200), closes(200),
         note="Host is required from HTTP/1.1 on. Through the front, nginx forwards `Host: $host`, its "
              "server_name for this request (an empty Host is refused, as nginx itself does: empty_host)."),
    Case("http_1_2_is_served_as_1_1", get(version=b"HTTP/1.2"), keeps(200), keeps(200),
         note="RFC 9110 §2.5: a higher minor version is served as the highest this server speaks, as nginx."),
    Case("http_2_0_in_a_request_line", get(version=b"HTTP/2.0"), closes(505), closes(505)),
    Case("http_0_9_request_line", b"GET /health\r\n\r\n", closes(400), closes(None),
         note="Differs from nginx: no HTTP/0.9. nginx answers 0.9 with a bare body, no status line, and closes."),
    Case("lowercase_protocol_name", get(version=b"http/1.1"), closes(400), closes(400)),
    Case("garbage_version", get(version=b"HTTP/1.x"), closes(400), closes(400)),
    Case("tls_client_hello", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 32 + b"\r\n\r\n",
         closes(400), closes(400)),

    # --- The request line: whitespace and line ends --------------------------------------------------------------
    Case("two_spaces_after_the_method", b"GET  /health HTTP/1.1\r\nHost: t\r\n\r\n", keeps(200), keeps(200),
         note="A choice: RFC 9112 §3 lets recipients split the request line on runs of whitespace; nginx does."),
    Case("space_after_the_version", b"GET /health HTTP/1.1 \r\nHost: t\r\n\r\n", keeps(200), keeps(200),
         note="A choice (RFC 9112 §3, trailing whitespace); nginx takes it."),
    Case("tab_after_the_method", b"GET\t/health HTTP/1.1\r\nHost: t\r\n\r\n", closes(400), closes(400),
         note="nginx splits on SP only."),
    Case("vertical_tab_after_the_method", b"GET\x0b/health HTTP/1.1\r\nHost: t\r\n\r\n", closes(400),
         closes(400)),
    Case("empty_line_before_the_request", b"\r\n" + get(), keeps(200), keeps(200),
         note="RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line; nginx does."),
    Case("bare_lf_line_ends", b"GET /health HTTP/1.1\nHost: t\n\n", keeps(200), keeps(200),
         note="A choice: RFC 9112 §2.2 lets a recipient take a bare LF as a line end in the head; nginx does."),
    Case("bare_cr_in_the_request_line", b"GET /health HTTP/1.1\rHost: t\r\n\r\n", closes(400), closes(400),
         note="RFC 9112 §2.2: a bare CR is invalid (or replaced by SP); refused, as nginx."),
    Case("bare_cr_in_a_header_value", get(headers=b"Host: t\r\nX-A: a\rb\r\n"), closes(400), closes(400)),

    # --- Header fields -------------------------------------------------------------------------------------------
    Case("obs_fold", get(headers=b"Host: t\r\nX-Folded: a\r\n b\r\n"), closes(400), closes(400),
         note="A choice: RFC 9112 §5.2 lets a server refuse obs-fold with 400 or unfold it; nginx refuses."),
    Case("obs_fold_of_content_length", echo(b"Content-Length:\r\n 3\r\n", b"[1]"), closes(400), closes(400)),
    Case("whitespace_before_the_first_header", b"GET /health HTTP/1.1\r\n Host: t\r\nHost: t\r\n\r\n",
         closes(400), closes(400), note="RFC 9112 §2.2: refuse, or ignore the line; nginx refuses."),
    Case("whitespace_before_a_colon", get(headers=b"Host: t\r\nX-A : v\r\n"), closes(400), closes(400),
         note="RFC 9112 §5.1: MUST answer 400."),
    Case("whitespace_before_the_colon_of_content_length", echo(b"Content-Length : 3\r\n", b"[1]"), closes(400),
         closes(400)),
    Case("invalid_header_name", get(headers=b"Host: t\r\nX(A): v\r\n"), closes(400), keeps(200),
         front=keeps(200), note="Differs from nginx: " + NGINX_DROPS_INVALID_HEADERS),
    Case("header_without_colon", get(headers=b"Host: t\r\nNoColon\r\n"), closes(400), keeps(200),
         front=keeps(200), note="Differs from nginx: nginx takes a line without a colon as a field with an empty "
                                "value; RFC 9112 §5 requires the colon, so Keel refuses."),
    Case("empty_header_name", get(headers=b"Host: t\r\n: v\r\n"), closes(400), closes(400)),
    Case("nul_in_a_header_value", get(headers=b"Host: t\r\nX-A: a\x00b\r\n"), closes(400), closes(400)),
    Case("obs_text_in_a_header_value", get(headers=b"Host: t\r\nX-A: caf\xe9\r\n"), keeps(200), keeps(200),
         note="obs-text is allowed in field values (RFC 9110 §5.5)."),
    Case("no_host_on_http_1_1", get(headers=b""), closes(400), closes(400)),
    Case("two_host_lines", get(headers=b"Host: t\r\nHost: t\r\n"), closes(400), closes(400)),
    Case("invalid_host", get(headers=b"Host: a b/c@d\r\n"), closes(400), closes(400)),
    Case("empty_host", get(headers=b"Host:\r\n"), closes(400), closes(400),
         note="A choice: RFC 9110 §7.2 allows an empty Host only where the target has no authority; nginx "
              "refuses it."),
    Case("host_with_port", get(headers=b"Host: t:8080\r\n"), keeps(200), keeps(200)),
    Case("headers_of_20_kb", get(headers=b"Host: t\r\nX-Big: " + b"a" * 20000 + b"\r\n"), closes(431),
         closes(400),
         note="A deliberate difference: Keel answers 431 (RFC 6585); nginx 400 Request Header Or Cookie Too Large."),
    Case("500_headers", get(headers=b"Host: t\r\n" + many_headers(500)), keeps(200), keeps(200),
         note="No limit on the number of fields, only on the head's bytes, as nginx."),
    Case("2000_headers", get(headers=b"Host: t\r\n" + many_headers(2000)), closes(431), closes(400),
         note="A deliberate difference: over the 16 KiB head limit, 431; nginx 400 Request Header Or Cookie Too "
              "Large."),

    # --- Bodies: Content-Length ------------------------------------------------------------------------------------
    Case("content_length_with_plus", echo(b"Content-Length: +3\r\n", b"[1]"), closes(400), closes(400)),
    Case("content_length_negative", echo(b"Content-Length: -1\r\n", b"[1]"), closes(400), closes(400)),
    Case("content_length_leading_zeros", echo(b"Content-Length: 003\r\n", b"[1]"), keeps(200), keeps(200),
         echo=b"[1]", note="1*DIGIT (RFC 9110 §8.6): leading zeros are valid."),
    Case("content_length_zero", echo(b"Content-Length: 0\r\n", b""), keeps(200), keeps(200), echo=b""),
    Case("content_length_overflow", echo(b"Content-Length: 99999999999999999999999\r\n", b"[1]"), closes(400),
         closes(400), note="Not a length any server can hold: 400, as nginx (not 413)."),
    Case("content_length_over_the_limit", echo(b"Content-Length: 99999999999\r\n", b"[1]"), closes(413),
         closes(413)),
    Case("content_length_hex", echo(b"Content-Length: 0x3\r\n", b"[1]"), closes(400), closes(400)),
    Case("content_length_empty", echo(b"Content-Length:\r\n", b"[1]"), closes(400), closes(400)),
    Case("content_length_with_trailing_space", echo(b"Content-Length: 3 \r\n", b"[1]"), keeps(200), keeps(200),
         echo=b"[1]"),
    Case("content_length_list_of_equal_values", echo(b"Content-Length: 3, 3\r\n", b"[1]"), closes(400),
         closes(400),
         note="A choice: RFC 9110 §8.6 lets a recipient take `3, 3` as 3 or refuse it; nginx refuses."),
    Case("content_length_list_of_different_values", echo(b"Content-Length: 3, 4\r\n", b"[1]"), closes(400),
         closes(400)),
    Case("two_equal_content_lengths", echo(b"Content-Length: 3\r\nContent-Length: 3\r\n", b"[1]"), closes(400),
         closes(400), note="A choice, as `3, 3`: nginx refuses a repeated Content-Length."),
    Case("two_different_content_lengths", echo(b"Content-Length: 3\r\nContent-Length: 5\r\n", b"[1]"),
         closes(400), closes(400)),
    Case("body_on_a_get", b"GET /health HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nxxxxx", keeps(200),
         keeps(200), note="A GET's body is read and dropped: its bytes are no request."),
    Case("nul_in_the_body", echo(b"Content-Length: 3\r\n", b"[\x00]"), keeps(200), keeps(200), echo=b"[\x00]"),

    # --- Bodies: chunked -----------------------------------------------------------------------------------------
    Case("chunked", chunked(b"5\r\n[1,2]\r\n0\r\n\r\n"), keeps(200), keeps(200), echo=b"[1,2]"),
    Case("chunked_in_pieces", chunked(b"2\r\n[1\r\n3\r\n,2]\r\n0\r\n\r\n"), keeps(200), keeps(200),
         echo=b"[1,2]"),
    Case("chunk_size_upper_case_hex", chunked(b"B\r\n[1,2,3,4,5]\r\n0\r\n\r\n"), keeps(200), keeps(200),
         echo=b"[1,2,3,4,5]"),
    Case("chunk_size_lower_case_hex", chunked(b"b\r\n[1,2,3,4,5]\r\n0\r\n\r\n"), keeps(200), keeps(200),
         echo=b"[1,2,3,4,5]"),
    Case("chunk_size_leading_zeros", chunked(b"0005\r\n[1,2]\r\n0\r\n\r\n"), keeps(200), keeps(200),
         echo=b"[1,2]"),
    Case("chunk_extensions", chunked(b"5;name=value\r\n[1,2]\r\n0;last\r\n\r\n"), keeps(200), keeps(200),
         echo=b"[1,2]", note="Extensions a server does not know are ignored (RFC 9112 §7.1.1)."),
    Case("chunk_extension_quoted", chunked(b'5;a="b;c"\r\n[1,2]\r\n0\r\n\r\n'), keeps(200), keeps(200),
         echo=b"[1,2]"),
    Case("chunk_extension_without_name", chunked(b"5;\r\n[1,2]\r\n0\r\n\r\n"), closes(400), keeps(200),
         echo=b"[1,2]", front=keeps(200),
         note="Differs from nginx: chunk-ext-name is a token (RFC 9112 §7.1.1); nginx skips anything after `;`."),
    Case("chunk_size_with_trailing_space", chunked(b"5 \r\n[1,2]\r\n0\r\n\r\n"), closes(400), keeps(200),
         echo=b"[1,2]", front=keeps(200),
         note="Differs from nginx: whitespace may only precede a `;` (RFC 9112 §7.1.1); nginx skips it. Lenient "
              "chunk sizes are where parsers in a chain start to disagree."),
    Case("chunk_size_overflow", chunked(b"10000000000000005\r\n[1,2]\r\n0\r\n\r\n"), closes(400), closes(400)),
    Case("chunk_size_over_the_limit", chunked(b"FFFFFFFF\r\n[1,2]\r\n0\r\n\r\n"), closes(413), closes(200),
         front=closes(413),
         note="Differs from nginx's `return`, which answers before the body and then closes rather than discard "
              "4 GiB; proxying, nginx answers 413 (client_max_body_size) as Keel does."),
    Case("chunk_size_not_hex", chunked(b"5g\r\n[1,2]\r\n0\r\n\r\n"), closes(400), closes(400)),
    Case("chunk_size_line_ended_by_lf", chunked(b"5\n[1,2]\r\n0\r\n\r\n"), closes(400), keeps(200),
         echo=b"[1,2]", front=keeps(200),
         note="Differs from nginx: chunk lines end in CRLF (RFC 9112 §7.1); §2.2's leniency is for the head. nginx "
              "takes a bare LF; Keel refuses, since lenient chunk framing is how smuggling between parsers starts."),
    Case("chunk_data_without_crlf", chunked(b"5\r\n[1,2]0\r\n\r\n"), closes(400), closes(400)),
    Case("chunk_data_ended_by_lf", chunked(b"5\r\n[1,2]\n0\r\n\r\n"), closes(400), keeps(200), echo=b"[1,2]",
         front=keeps(200), note="Differs from nginx, as chunk_size_line_ended_by_lf."),
    Case("chunk_longer_than_its_size", chunked(b"3\r\n[1,2]\r\n0\r\n\r\n"), closes(400), closes(400)),
    Case("chunked_with_trailer", chunked(b"5\r\n[1,2]\r\n0\r\nX-Trailer: v\r\n\r\n"), keeps(200), keeps(200),
         echo=b"[1,2]"),
    Case("chunked_trailer_content_length", chunked(b"5\r\n[1,2]\r\n0\r\nContent-Length: 50\r\n\r\n"),
         closes(400), keeps(200), echo=b"[1,2]", front=keeps(200),
         note="Differs from nginx: a trailer never frames the message (RFC 9110 §6.5.1); nginx drops it, Keel's "
              "parser (Beast) reads trailer fields like header fields and refuses a Content-Length among them. "
              "Stricter than the front is safe: through nginx the trailer is dropped before Keel sees it."),
    Case("chunked_without_the_last_crlf", chunked(b"5\r\n[1,2]\r\n0\r\n"), closes(400), swallows(200),
         echo=b"[1,2]", front=swallows(200),
         note="Differs from nginx: the canary's request line arrives as a trailer line, which is no field line: "
              "400. nginx skips trailer lines unparsed, so the canary becomes the trailer section and never runs."),

    # --- Bodies: Transfer-Encoding -------------------------------------------------------------------------------
    Case("transfer_encoding_capitalised", echo(b"Transfer-Encoding: Chunked\r\n", b"3\r\n[1]\r\n0\r\n\r\n"),
         keeps(200), keeps(200), echo=b"[1]", note="Coding names are case-insensitive (RFC 9112 §7)."),
    Case("transfer_encoding_with_trailing_space", echo(b"Transfer-Encoding: chunked \r\n",
                                                       b"3\r\n[1]\r\n0\r\n\r\n"), keeps(200), keeps(200),
         echo=b"[1]"),
    Case("transfer_encoding_xchunked", echo(b"Transfer-Encoding: xchunked\r\n", b"3\r\n[1]\r\n0\r\n\r\n"),
         closes(400), closes(501), note="Differs from nginx: " + NOT_CHUNKED_LAST),
    Case("transfer_encoding_chunked_identity",
         echo(b"Transfer-Encoding: chunked, identity\r\n", b"3\r\n[1]\r\n0\r\n\r\n"), closes(400), closes(501),
         note="Differs from nginx: " + NOT_CHUNKED_LAST),
    Case("transfer_encoding_identity", echo(b"Transfer-Encoding: identity\r\n", b"3\r\n[1]\r\n0\r\n\r\n"),
         closes(400), closes(501), note="Differs from nginx: " + NOT_CHUNKED_LAST),
    Case("transfer_encoding_empty", echo(b"Transfer-Encoding:\r\n", b"3\r\n[1]\r\n0\r\n\r\n"), closes(400),
         closes(501), note="Differs from nginx: no coding at all, so none is chunked. " + NOT_CHUNKED_LAST),
    Case("transfer_encoding_gzip_chunked",
         echo(b"Transfer-Encoding: gzip, chunked\r\n", b"3\r\n[1]\r\n0\r\n\r\n"), closes(501), closes(501),
         note="RFC 9112 §6.1: a coding the server does not implement: 501, and close, as nginx."),
    Case("transfer_encoding_chunked_twice",
         echo(b"Transfer-Encoding: chunked, chunked\r\n", b"3\r\n[1]\r\n0\r\n\r\n"), closes(400), closes(501),
         note="Differs from nginx: chunked applied twice (RFC 9112 §6.1: MUST NOT) is faulty framing, not an "
              "unknown coding: 400. nginx 501."),
    Case("two_transfer_encoding_lines",
         echo(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", b"3\r\n[1]\r\n0\r\n\r\n"),
         closes(400), closes(400)),
    Case("content_length_and_transfer_encoding",
         echo(b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"), closes(400), closes(400),
         note="A choice: RFC 9112 §6.1 lets a server read the chunked body or refuse; nginx 1.22 refuses."),
    Case("transfer_encoding_on_http_1_0", b"POST /api/v1/debug/echo HTTP/1.0\r\nHost: t\r\n"
         b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n[1]\r\n0\r\n\r\n",
         closes(400), closes(400),
         note="RFC 9112 §6.1: HTTP/1.0 with Transfer-Encoding is faulty framing; nginx refuses with 400."),

    # --- Connections ---------------------------------------------------------------------------------------------
    Case("connection_close_is_honoured", get(headers=b"Host: t\r\nConnection: close\r\n"), closes(200),
         closes(200)),
    Case("expect_100_continue", echo(b"Content-Length: 3\r\nExpect: 100-continue\r\n", b"[1]"), keeps(200),
         keeps(200), echo=b"[1]"),
]
