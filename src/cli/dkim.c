/*
 * dkim.c — `ferry dkim keygen` writes a signing key where the server reads
 * it ([dkim] key_dir/DOMAIN/SELECTOR.pem) and prints the TXT record to
 * publish; `ferry dkim check` compares the published record with the key,
 * looked up through the resolver delivery uses.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "base/str.h"
#include "base/fs.h"
#include "cli/cli.h"
#include "config/config.h"
#include "dkim/dkim.h"
#include "dkim/verify.h"
#include "dns/resolver.h"
#include "sched/outbound.h"

struct dkim_opts {
	const char *config, *domain, *selector, *type, *dir;
	int bits;
};

static bool
name_ok(const char *s)
{
	if (s == NULL || *s == '\0' || *s == '.' || strlen(s) > 253)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '.' || *s == '_'))
			return false;
	return true;
}

static const char *
key_dir(const struct dkim_opts *o, const struct config *cfg)
{
	return o->dir ? o->dir : cfg->dkim_key_dir;
}

static EVP_PKEY *
generate(const char *type, int bits)
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(
	        strcmp(type, "ed25519") == 0 ? EVP_PKEY_ED25519 : EVP_PKEY_RSA,
	        NULL);

	if (c && EVP_PKEY_keygen_init(c) == 1 &&
	    (strcmp(type, "ed25519") == 0 ||
	     EVP_PKEY_CTX_set_rsa_keygen_bits(c, bits) == 1))
		EVP_PKEY_keygen(c, &k);
	EVP_PKEY_CTX_free(c);
	return k;
}

/* RFC 1035 character-strings hold 255 octets: longer texts are split. */
static void
print_record(const struct dkim_opts *o, const char *txt)
{
	size_t l = strlen(txt), i;

	printf("%s._domainkey.%s. IN TXT (", o->selector, o->domain);
	for (i = 0; i < l; i += 250)
		printf(" \"%.*s\"", (int)(l - i < 250 ? l - i : 250), txt + i);
	printf(" )\n");
}

/* The server reads keys as root, but the user it runs as owns them too,
 * as OpenDKIM's keys belong to opendkim. */
static void
give_to_server_user(const struct config *cfg, const char *path)
{
	struct passwd *pw = geteuid() == 0 ? getpwnam(cfg->user) : NULL;

	if (pw && chown(path, pw->pw_uid, pw->pw_gid) < 0)
		fprintf(stderr, "ferry: chown %s: %s\n", path, strerror(errno));
}

static int
do_keygen(const struct dkim_opts *o, const struct config *cfg)
{
	char path[4400], ddir[4096];
	EVP_PKEY *k;
	FILE *fp;
	char *txt;
	int fd;

	if (key_dir(o, cfg) == NULL) {
		fprintf(stderr, "ferry: no key directory: set [dkim] key_dir "
		                "or give --dir\n");
		return EX_CONFIG;
	}
	snprintf(ddir, sizeof(ddir), "%s/%s", key_dir(o, cfg), o->domain);
	snprintf(path, sizeof(path), "%s/%s.pem", ddir, o->selector);
	if (fs_mkdir_p(ddir, 0750) < 0) {
		fprintf(stderr, "ferry: %s: %s\n", ddir, strerror(errno));
		return EX_CANTCREAT;
	}
	give_to_server_user(cfg, ddir);
	k = generate(o->type, o->bits);
	if (k == NULL) {
		fprintf(stderr, "ferry: cannot generate the key\n");
		return EX_SOFTWARE;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || (fp = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "ferry: %s: %s%s\n", path, strerror(errno),
		        errno == EEXIST ? " (a selector's key is never "
		                          "replaced: pick a new selector)"
		                        : "");
		if (fd >= 0)
			close(fd);
		EVP_PKEY_free(k);
		return EX_CANTCREAT;
	}
	if (PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL) != 1 ||
	    fflush(fp) != 0 || fsync(fd) != 0) {
		fprintf(stderr, "ferry: cannot write %s\n", path);
		fclose(fp);
		unlink(path);
		EVP_PKEY_free(k);
		return EX_IOERR;
	}
	fclose(fp);
	give_to_server_user(cfg, path);
	txt = dkim_public_txt(k);
	fprintf(stderr,
	        "ferry: wrote %s; publish this record, then restart "
	        "the server:\n",
	        path);
	print_record(o, txt);
	free(txt);
	EVP_PKEY_free(k);
	return 0;
}

struct check_state {
	enum dns_status status;
	char *found; /* the record that names DKIM1, or the first */
	bool done;
};

static void
txt_done(void *arg, enum dns_status status, const char *const *texts, size_t n)
{
	struct check_state *st = arg;
	size_t i;

	st->status = status;
	st->done = true;
	for (i = 0; i < n && st->found == NULL; i++)
		if (strstr(texts[i], "p=") != NULL)
			st->found = str_dup(texts[i]);
}

static EVP_PKEY *
read_key(const char *path)
{
	FILE *fp = fopen(path, "r");
	EVP_PKEY *k;

	if (fp == NULL) {
		fprintf(stderr, "ferry: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	if (k == NULL || dkim_alg_of(k) < 0)
		fprintf(stderr, "ferry: %s holds no RSA or Ed25519 key\n",
		        path);
	return k;
}

static int
compare(const char *name, const struct check_state *st, const char *want)
{
	char got[2048], exp[2048];

	if (st->status == DNS_TEMPFAIL) {
		printf("%s: the lookup failed (temporary); try again\n", name);
		return EX_TEMPFAIL;
	}
	if (st->found == NULL) {
		printf("%s: no DKIM record is published; publish:\n%s\n", name,
		       want);
		return EX_UNAVAILABLE;
	}
	dkim_record_p_value(st->found, got, sizeof(got));
	dkim_record_p_value(want, exp, sizeof(exp));
	if (strcmp(got, exp) != 0 ||
	    (strstr(want, "k=ed25519") && !strstr(st->found, "k=ed25519"))) {
		printf("%s: the published record does not match the key\n"
		       "  published: %s\n  expected:  %s\n",
		       name, st->found, want);
		return EX_DATAERR;
	}
	printf("%s: the published record matches the key\n", name);
	return 0;
}

static int
do_check(const struct dkim_opts *o, const struct config *cfg)
{
	char path[4096], name[600];
	struct check_state st = {DNS_TEMPFAIL, NULL, false};
	struct event_base *base;
	struct dns_resolver *r;
	EVP_PKEY *k;
	char *want;
	int rc, rounds;

	if (key_dir(o, cfg) == NULL) {
		fprintf(stderr, "ferry: no key directory: set [dkim] key_dir "
		                "or give --dir\n");
		return EX_CONFIG;
	}
	snprintf(path, sizeof(path), "%s/%s/%s.pem", key_dir(o, cfg), o->domain,
	         o->selector);
	if ((k = read_key(path)) == NULL || dkim_alg_of(k) < 0) {
		EVP_PKEY_free(k);
		return EX_NOINPUT;
	}
	want = dkim_public_txt(k);
	EVP_PKEY_free(k);
	snprintf(name, sizeof(name), "%s._domainkey.%s", o->selector,
	         o->domain);
	base = event_base_new();
	r = base ? outbound_resolver_new(base, cfg) : NULL;
	if (r == NULL || dns_resolve_txt(r, name, txt_done, &st) < 0) {
		fprintf(stderr, "ferry: cannot start the DNS lookup\n");
		rc = EX_SOFTWARE;
		goto out;
	}
	/* Bounded: libunbound gives up on its own well within this. */
	for (rounds = 0; !st.done && rounds < 600; rounds++) {
		struct timeval tv = {0, 100000};
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	rc = st.done ? compare(name, &st, want) : EX_TEMPFAIL;
out:
	if (r)
		dns_resolver_free(r);
	if (base)
		event_base_free(base);
	free(st.found);
	free(want);
	return rc;
}

/* Waits (bounded) for the TXT records of name. */
static void
lookup_txt(const struct config *cfg, const char *name, struct check_state *st)
{
	struct event_base *base = event_base_new();
	struct dns_resolver *r = base ? outbound_resolver_new(base, cfg) : NULL;
	int rounds;

	st->status = DNS_TEMPFAIL;
	st->done = false;
	st->found = NULL;
	if (r != NULL && dns_resolve_txt(r, name, txt_done, st) == 0) {
		/* libunbound gives up on its own well within this */
		for (rounds = 0; !st->done && rounds < 600; rounds++) {
			struct timeval tv = {0, 100000};
			event_base_loopexit(base, &tv);
			event_base_dispatch(base);
		}
	}
	if (r)
		dns_resolver_free(r);
	if (base)
		event_base_free(base);
}

/* Standard input as a message with CRLF line ends, as it travels. */
static char *
read_message(size_t *len)
{
	const size_t max = (size_t)64 * 1024 * 1024;
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap), *grown;
	int c, prev = 0;

	if (buf == NULL)
		abort();
	while ((c = getchar()) != EOF && n < max) {
		if (n + 3 > cap) {
			cap *= 2;
			grown = realloc(buf, cap);
			if (grown == NULL)
				abort();
			buf = grown;
		}
		if (c == '\n' && prev != '\r')
			buf[n++] = '\r';
		buf[n++] = (char)c;
		prev = c;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

#define VERIFY_MAX_SIGS 8

struct sig_fields {
	const char *f[VERIFY_MAX_SIGS];
	size_t n[VERIFY_MAX_SIGS];
	size_t count;
};

static int
sig_field_cb(void *arg, const char *f, size_t n)
{
	struct sig_fields *sf = arg;

	if (strncasecmp(f, "DKIM-Signature:", 15) == 0 &&
	    sf->count < VERIFY_MAX_SIGS) {
		sf->f[sf->count] = f;
		sf->n[sf->count++] = n;
	}
	return 0;
}

static enum dkim_result
verify_one(const struct config *cfg, const char *msg, size_t len, const char *f,
           size_t n)
{
	static const char *const names[] = {"pass", "fail", "permerror",
	                                    "temperror"};
	struct dkim_sig sig;
	struct check_state st;
	enum dkim_result res;
	const char *why = "";
	char name[600];

	if (dkim_sig_parse(f, n, &sig, &why) < 0) {
		printf("dkim=permerror (%s)\n", why);
		dkim_sig_free(&sig);
		return DKIM_PERMERROR;
	}
	snprintf(name, sizeof(name), "%s._domainkey.%s", sig.s, sig.d);
	lookup_txt(cfg, name, &st);
	if (st.status == DNS_TEMPFAIL) {
		res = DKIM_TEMPERROR;
		why = "key lookup failed";
	} else if (st.found == NULL) {
		res = DKIM_PERMERROR;
		why = "no key record";
	} else {
		res = dkim_sig_verify(&sig, st.found, msg, len, &why);
	}
	printf("dkim=%s header.d=%s header.s=%s header.a=%s (%s)\n", names[res],
	       sig.d, sig.s, sig.a, why);
	free(st.found);
	dkim_sig_free(&sig);
	return res;
}

static int
do_verify(const struct config *cfg)
{
	struct sig_fields sf = {.count = 0};
	size_t len, i;
	char *msg = read_message(&len);
	bool pass = false, temp = false;

	dkim_each_field(msg, len, sig_field_cb, &sf);
	if (sf.count == 0)
		printf("dkim=none\n");
	for (i = 0; i < sf.count; i++) {
		enum dkim_result r =
		        verify_one(cfg, msg, len, sf.f[i], sf.n[i]);
		pass |= r == DKIM_PASS;
		temp |= r == DKIM_TEMPERROR;
	}
	free(msg);
	return pass ? 0 : temp ? EX_TEMPFAIL : EX_DATAERR;
}

static int
parse(int argc, char **argv, struct dkim_opts *o, const char **verb)
{
	static const struct option longopts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"domain", required_argument, NULL, 'd'},
	        {"selector", required_argument, NULL, 's'},
	        {"type", required_argument, NULL, 't'},
	        {"bits", required_argument, NULL, 'b'},
	        {"dir", required_argument, NULL, 'D'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int ch;

	o->type = "rsa";
	o->bits = 2048;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:d:s:t:b:D:h", longopts,
	                         NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 'd':
			o->domain = optarg;
			break;
		case 's':
			o->selector = optarg;
			break;
		case 't':
			o->type = optarg;
			break;
		case 'b':
			o->bits = atoi(optarg);
			break;
		case 'D':
			o->dir = optarg;
			break;
		default:
			return ch == 'h' ? -1 : EX_USAGE;
		}
	}
	if (optind >= argc)
		return EX_USAGE;
	*verb = argv[optind++];
	if (strcmp(*verb, "verify") == 0) {
		o->domain = o->selector = "-"; /* not used */
		return optind == argc ? 0 : EX_USAGE;
	}
	if (strcmp(*verb, "check") == 0 && argc - optind == 2) {
		o->domain = argv[optind++];
		o->selector = argv[optind++];
	}
	if (optind != argc || o->selector == NULL || !name_ok(o->domain) ||
	    !name_ok(o->selector) || strchr(o->selector, '.') ||
	    o->bits < 1024 || o->bits > 8192 ||
	    (strcmp(o->type, "rsa") != 0 && strcmp(o->type, "ed25519") != 0) ||
	    (strcmp(*verb, "keygen") != 0 && strcmp(*verb, "check") != 0))
		return EX_USAGE;
	return 0;
}

static int
run_dkim(int argc, char **argv)
{
	struct dkim_opts o = {0};
	struct config *cfg;
	const char *verb = NULL;
	int rc;

	if ((rc = parse(argc, argv, &o, &verb)) != 0) {
		cli_print_usage(&cli_dkim, rc != -1);
		return rc == -1 ? 0 : rc;
	}
	if ((cfg = config_load(o.config, stderr)) == NULL)
		return EX_CONFIG;
	if (strcmp(verb, "keygen") == 0)
		rc = do_keygen(&o, cfg);
	else if (strcmp(verb, "verify") == 0)
		rc = do_verify(cfg);
	else
		rc = do_check(&o, cfg);
	config_free(cfg);
	return rc;
}

const struct cli_command cli_dkim = {
        .name = "dkim",
        .run = run_dkim,
        .summary = "make a DKIM key, check its DNS record, verify a message",
        .usage = "usage: ferry dkim [--config FILE] keygen --domain DOMAIN "
                 "--selector SELECTOR\n"
                 "                  [--type rsa|ed25519] [--bits N] "
                 "[--dir DIR]\n"
                 "       ferry dkim [--config FILE] check [--dir DIR] "
                 "DOMAIN SELECTOR\n"
                 "       ferry dkim [--config FILE] verify < MESSAGE\n"
                 "\n"
                 "keygen writes a new private key to KEY_DIR/DOMAIN/"
                 "SELECTOR.pem (mode 0600,\n"
                 "owned by the server's user when run as root; KEY_DIR is "
                 "[dkim] key_dir or\n"
                 "--dir) and prints the TXT record to publish at\n"
                 "SELECTOR._domainkey.DOMAIN.  rsa keys have 2048 bits "
                 "unless --bits says\n"
                 "otherwise.  An existing key is never replaced.  The "
                 "server reads keys at\n"
                 "start.\n"
                 "\n"
                 "check looks the record up (through the resolver "
                 "delivery uses: [relay]\n"
                 "resolv_conf, dns_local_data) and says whether it "
                 "matches the key.  Exit\n"
                 "status 0 when it does, 65 when it differs, 69 when none "
                 "is published, 75\n"
                 "when the lookup failed.\n"
                 "\n"
                 "verify checks every DKIM-Signature of the message on "
                 "standard input (up to\n"
                 "8), keys looked up as for check, and prints one "
                 "result per signature\n"
                 "(dkim=pass|fail|permerror|temperror, RFC 8601 style).  "
                 "Exit status 0 when\n"
                 "one passes, 75 when a lookup failed, 65 otherwise.\n",
};
