/*
 * link.h — inside the milter module: one live conversation per milter
 * per SMTP session (see milter.h), and the wire helpers check.c and
 * link.c share.  Not for use outside src/milter/.
 */
#ifndef FERRY_MILTER_LINK_H
#define FERRY_MILTER_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct bufferevent;
struct evbuffer;
struct milter_links;

enum link_state { LINK_NEW, LINK_CONNECTING, LINK_OPTNEG, LINK_UP, LINK_DEAD };

struct milter_link {
	struct milter_links *ls;
	char *spec;
	struct bufferevent *bev;
	enum link_state st;
	uint32_t steps;     /* the SMFIP_NO* / NR_* the milter asked for */
	bool quiet_session; /* accepted the connection: nothing more */
	bool quiet_message; /* accepted the message: nothing more for it */
	bool discard;       /* SMFIR_DISCARD before the final dot */
	bool in_message;    /* MAIL sent, end of message not reached */
	bool borrowed;      /* the final-dot check talks over it */
	char why[160];      /* LINK_DEAD: what failed */
};

/* The links of the session, for the final-dot check. */
struct milter_link *milter_links_at(struct milter_links *ls, size_t i);
size_t milter_links_count(const struct milter_links *ls);
/* The check hands a borrowed link back: alive, or broken (closed). */
void milter_link_return(struct milter_link *l, bool alive);

char **milter_split_list(const char *list, size_t *n);
int milter_spec_sockaddr(const char *spec, struct sockaddr_storage *ss,
                         socklen_t *len);
/* SMFIC_MACRO for stage; kv is name, value pairs (a NULL value is left
 * out), ended by a NULL name. */
void milter_send_macros(struct evbuffer *out, char stage,
                        const char *const *kv);

#endif
