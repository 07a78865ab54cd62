/* JSON out and in.
 *
 * Out: every string lockstep writes into JSON goes through ls_json_str(), which escapes what JSON
 * requires ('"', '\\' and control characters), copies valid UTF-8 as it is (site names and
 * signatures may be any language), and writes each byte that is not part of a valid UTF-8
 * sequence (a name from a target built in Latin-1, say) as U+FFFD, so the output is always valid
 * JSON.  Numbers and keywords are written by the callers' printf formats.
 *
 * In: JSON lockstep reads back (a child command's --json line, bench's and check's children, the
 * fuzzer drivers' replays) is parsed by jansson, Debian's libjansson: it is strict (it refuses
 * what is not RFC 8259, invalid UTF-8 included), decodes every escape, \u surrogate pairs included,
 * and is small, with no dependency of its own.  json-c would have done as well; jansson's
 * borrowed-reference getters keep the readers here short. */
#include "json.h"

#include <string.h>

int ls_utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	int n = s[0] >= 0xf0 && s[0] <= 0xf4   ? 4
		: s[0] >= 0xe0 && s[0] <= 0xef ? 3
		: s[0] >= 0xc2 && s[0] <= 0xdf ? 2
					       : 0;	/* 80-C1: continuation, overlong; F5-FF */
	if (n == 4 && s[0] == 0xf0 && s[1] < 0x90)
		return 0;	/* overlong */
	if (n == 4 && s[0] == 0xf4 && s[1] >= 0x90)
		return 0;	/* above U+10FFFF */
	if (n == 3 && s[0] == 0xe0 && s[1] < 0xa0)
		return 0;	/* overlong */
	if (n == 3 && s[0] == 0xed && s[1] >= 0xa0)
		return 0;	/* a surrogate */
	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void ls_json_str(struct ls_buf *b, const char *s)
{
	ls_buf_printf(b, "\"");
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned char c = *p;
		int n = ls_utf8_len(p);
		if (c == '"' || c == '\\')
			ls_buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			ls_buf_printf(b, "\\u%04x", c);
		else if (n == 0)
			ls_buf_printf(b, "\\ufffd");
		else
			ls_buf_printf(b, "%.*s", n, (const char *)p);
		p += n ? n : 1;
	}
	ls_buf_printf(b, "\"");
}

const char *ls_last_json(const char *text)
{
	const char *json = NULL;
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (*l == '{')
			json = l;
	return json;
}

json_t *ls_json_last_object(const char *text)
{
	const char *line = text ? ls_last_json(text) : NULL;
	if (!line)
		return NULL;
	json_error_t err;
	/* Seeds are 64-bit unsigned: read every integer as a real, which jansson takes at any size
	 * (its integers stop at INT64_MAX); the readers use numbers as doubles anyway. */
	json_t *j = json_loadb(line, strcspn(line, "\n"), JSON_DECODE_INT_AS_REAL, &err);
	if (j && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

const char *ls_json_string(const json_t *obj, const char *key)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

bool ls_json_number(const json_t *obj, const char *key, double *out)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;
	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}
