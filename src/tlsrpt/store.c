/*
 * store.c — the days kept under the records directory: which policy
 * domains a day has records of, which of their reports went out (DAY.sent,
 * one domain per line, synced: a restart must not send one twice), and
 * the pruning of days older than the ones kept.
 */
#include "tlsrpt/tlsrpt.h"
#include "tlsrpt/tlsrpt_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/str.h"

static bool
listed(char **v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(v[i], s) == 0)
			return true;
	return false;
}

size_t
tlsrpt_domains(const char *dir, const char *day, char ***out)
{
	char path[4096], line[8192];
	char **v = NULL;
	size_t n = 0;
	FILE *in;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, day);
	if ((in = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), in)) {
		char *tab = strchr(line, '\t'), *d, *end;
		char **nv;

		if (tab == NULL || (end = strchr(tab + 1, '\t')) == NULL)
			continue;
		d = tab + 1;
		*end = '\0';
		/* A domain is stored as is: [a-z0-9.-], nothing escaped. */
		if (*d == '\0' || strcmp(d, "-") == 0 || listed(v, n, d))
			continue;
		nv = reallocarray(v, n + 1, sizeof(*v));
		if (nv == NULL)
			break;
		v = nv;
		if ((v[n] = str_dup(d)) == NULL)
			break;
		n++;
	}
	fclose(in);
	*out = v;
	return n;
}

void
tlsrpt_domains_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

bool
tlsrpt_sent(const char *dir, const char *day, const char *domain)
{
	char path[4096], line[512];
	bool found = false;
	FILE *in;

	snprintf(path, sizeof(path), "%s/%s.sent", dir, day);
	if ((in = fopen(path, "r")) == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = '\0';
		found = strcasecmp(line, domain) == 0;
	}
	fclose(in);
	return found;
}

int
tlsrpt_mark_sent(const char *dir, const char *day, const char *domain)
{
	char path[4096], line[512];
	int fd, n, rc = 0;

	snprintf(path, sizeof(path), "%s/%s.sent", dir, day);
	n = snprintf(line, sizeof(line), "%s\n", domain);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, line, (size_t)n) != n || fsync(fd) < 0)
		rc = -1;
	close(fd);
	return rc;
}

/* "YYYY-MM-DD" or "YYYY-MM-DD.sent": the day, else false. */
static bool
day_of(const char *name, char day[11])
{
	size_t i;

	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? name[i] != '-'
		                     : !isdigit((unsigned char)name[i]))
			return false;
	if (name[10] != '\0' && strcmp(name + 10, ".sent") != 0)
		return false;
	memcpy(day, name, 10);
	day[10] = '\0';
	return true;
}

size_t
tlsrpt_days(const char *dir, const char *from, const char *to, char ***out)
{
	char **v = NULL, day[11];
	size_t n = 0;
	struct dirent *e;
	DIR *d;

	*out = NULL;
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char **nv;

		if (!day_of(e->d_name, day) || e->d_name[10] != '\0' ||
		    strcmp(day, from) < 0 || strcmp(day, to) > 0)
			continue;
		nv = reallocarray(v, n + 1, sizeof(*v));
		if (nv == NULL)
			break;
		v = nv;
		if ((v[n] = str_dup(day)) == NULL)
			break;
		n++;
	}
	closedir(d);
	*out = v;
	return n;
}

int
tlsrpt_prune(const char *dir, const char *oldest)
{
	char day[11], path[4096];
	struct dirent *e;
	int removed = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (!day_of(e->d_name, day) || strcmp(day, oldest) >= 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}
