/* JSON: the one emitter of strings lockstep writes, and the reader of the JSON it reads back. */
#ifndef LS_CAMPAIGN_JSON_H
#define LS_CAMPAIGN_JSON_H

#include "../buf.h"

/* JSON string with escapes, quotes included. */
void ls_json_str(struct ls_buf *b, const char *s);
/* The last line of a command's output that starts with '{' (its --json summary); NULL if none. */
const char *ls_last_json(const char *text);

#endif
