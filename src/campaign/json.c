/* JSON out and in. */
#include "json.h"

#include <string.h>

void ls_json_str(struct ls_buf *b, const char *s)
{
	ls_buf_printf(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			ls_buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			ls_buf_printf(b, "\\u%04x", c);
		else
			ls_buf_printf(b, "%c", c);
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
