/*
 * quota.c — mailbox quotas: octets and messages per local Maildir.
 *
 * The usage of every mailbox with a quota is counted once at start from
 * its Maildir (new/ and cur/, at most QUOTA_SCAN_MAX files each), then kept
 * current by local delivery, which reports each message written through
 * policy_quota_delivered() on the loop thread.  Messages removed by the
 * owner's reader are seen at the next start or `ferry policy rescan`.  Like
 * Dovecot's quota_grace, the message that crosses the quota is delivered; the
 * next RCPT is refused (docs/policy.md says why).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/mem.h"
#include "base/log.h"
#include "policy/policy_int.h"
#include "policy/recipient.h"

/* Files counted per directory: a start never walks an unbounded tree. */
#define QUOTA_SCAN_MAX 1000000

struct quota_box {
	char *address; /* "mailbox@domain", lower-case */
	size_t max_bytes;
	int max_messages;
	unsigned long long bytes;
	unsigned long messages;
};

struct quota_table {
	struct quota_box *boxes; /* sorted by address */
	size_t n;
};

/* The size a Maildir name carries (",S=SIZE"), else the file's. */
static unsigned long long
file_size(const char *dir, const char *name)
{
	const char *s = strstr(name, ",S=");
	char path[4096];
	struct stat st;

	if (s != NULL)
		return strtoull(s + 3, NULL, 10);
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	            (int)sizeof(path) ||
	    lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	return (unsigned long long)st.st_size;
}

static void
scan_dir(struct quota_box *b, const char *maildir, const char *sub)
{
	char path[4096];
	struct dirent *de;
	unsigned long files = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/%s", maildir, sub);
	if ((dir = opendir(path)) == NULL)
		return; /* not made yet: empty */
	while ((de = readdir(dir)) != NULL && files < QUOTA_SCAN_MAX) {
		if (de->d_name[0] == '.')
			continue;
		b->bytes += file_size(path, de->d_name);
		b->messages++;
		files++;
	}
	if (files == QUOTA_SCAN_MAX)
		log_event(LOG_LVL_WARN, "quota", "maildir", path, "error",
		          "too many files, the rest not counted", NULL);
	closedir(dir);
}

static void
add_box(struct quota_table *t, const struct config_domain *d,
        const struct config_mailbox *m)
{
	struct quota_box b = {0};
	char path[4096];

	config_mailbox_quota(d, m->name, &b.max_bytes, &b.max_messages);
	if ((b.max_bytes == 0 && b.max_messages == 0) || m->lmtp ||
	    d->maildir_root == NULL)
		return;
	if (asprintf(&b.address, "%s@%s", m->name, d->name) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/%s", d->maildir_root, m->name);
	scan_dir(&b, path, "new");
	scan_dir(&b, path, "cur");
	t->boxes = xreallocarray(t->boxes, t->n + 1, sizeof(b));
	t->boxes[t->n++] = b;
}

static int
box_cmp(const void *a, const void *b)
{
	return strcasecmp(((const struct quota_box *)a)->address,
	                  ((const struct quota_box *)b)->address);
}

struct quota_table *
quota_table_new(const struct config *cfg)
{
	struct quota_table *t = calloc(1, sizeof(*t));
	size_t i, j;

	if (t == NULL)
		abort();
	for (i = 0; i < cfg->ndomains; i++)
		for (j = 0; j < cfg->domains[i].nmailboxes; j++)
			add_box(t, &cfg->domains[i],
			        &cfg->domains[i].mailboxes[j]);
	if (t->n > 1)
		qsort(t->boxes, t->n, sizeof(*t->boxes), box_cmp);
	return t;
}

void
quota_table_free(struct quota_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->boxes[i].address);
	free(t->boxes);
	free(t);
}

size_t
quota_table_size(const struct quota_table *t)
{
	return t->n;
}

static struct quota_box *
find_box(struct quota_table *t, const char *address)
{
	struct quota_box key = {.address = (char *)address};

	if (t == NULL || t->n == 0)
		return NULL;
	return bsearch(&key, t->boxes, t->n, sizeof(key), box_cmp);
}

void
policy_quota_delivered(struct policy *p, const char *address, size_t size)
{
	struct quota_box *b = find_box(p->quota, address);

	if (b == NULL)
		return;
	b->bytes += size;
	b->messages++;
}

/* Full, or a declared SIZE that does not fit in what is left. */
static bool
box_refuses(const struct quota_box *b, size_t declared)
{
	if (b->max_messages > 0 &&
	    b->messages >= (unsigned long)b->max_messages)
		return true;
	if (b->max_bytes == 0)
		return false;
	if (b->bytes >= b->max_bytes)
		return true;
	return declared > b->max_bytes - b->bytes;
}

void
rule_quota(struct policy_run *r)
{
	const struct recipient_result *res = r->f->rcpt_result;
	enum reply_id reply = r->p->cfg->policy.quota_reply == 1
	                              ? R_MAILBOX_FULL_TEMP
	                              : R_MAILBOX_FULL;
	struct quota_box *b;
	size_t i;

	if (res == NULL || res->verdict != RCPT_LOCAL) {
		policy_pass(r);
		return;
	}
	for (i = 0; i < res->ntargets; i++) {
		b = find_box(r->p->quota, res->targets[i]);
		if (b != NULL && box_refuses(b, r->f->mail_size)) {
			policy_refuse(r, PR_MAILBOX_QUOTA, b->address, reply,
			              r->f->rcpt, NULL);
			return;
		}
	}
	policy_pass(r);
}
