/* JSON: the one emitter of strings lockstep writes, and the reader of the JSON it reads back. */
#ifndef LS_CAMPAIGN_JSON_H
#define LS_CAMPAIGN_JSON_H

#include <stdbool.h>

#include <jansson.h>

#include "../buf.h"

/* The length of the valid UTF-8 sequence at s (1 to 4; 1 for ASCII, NUL included), or 0 if s
 * does not start one (RFC 3629: no overlongs, surrogates or code points above U+10FFFF). */
int ls_utf8_len(const unsigned char *s);
/* s as a JSON string, quotes included (json.c says how it escapes). */
void ls_json_str(struct ls_buf *b, const char *s);
/* The last line of a command's output that starts with '{' (its --json summary); NULL if none. */
const char *ls_last_json(const char *text);

/* The last line of text that starts with '{' (a command's --json summary), parsed; NULL if there
 * is none or it is not a JSON object.  The caller json_decref()s it. */
json_t *ls_json_last_object(const char *text);
/* obj[key] as a string (borrowed from obj), NULL if absent or not a string; obj may be NULL. */
const char *ls_json_string(const json_t *obj, const char *key);
/* obj[key] as a number, integer or real; false if absent or not a number. */
bool ls_json_number(const json_t *obj, const char *key, double *out);

#endif
