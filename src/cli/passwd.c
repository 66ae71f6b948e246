/*
 * passwd.c — `ferry passwd`: hash a password for the passwd-file backend
 * and print the "{SCHEME}hash" field (or a whole "user:{SCHEME}hash"
 * line).  Salts come from libcrypt's crypt_gensalt_rn (which reads the
 * kernel's random source) or, for SCRAM, from RAND_bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include <crypt.h>
#include <openssl/crypto.h>

#include "base/str.h"
#include "auth/auth.h"
#include "cli/cli.h"

#define PW_MAX 1024

static const struct scheme {
	const char *name;   /* --scheme */
	const char *label;  /* {LABEL} in the file */
	const char *prefix; /* crypt_gensalt prefix; NULL: SCRAM */
} schemes[] = {
        {"yescrypt", "CRYPT", "$y$"},
        {"bcrypt", "BLF-CRYPT", "$2b$"},
        {"sha512-crypt", "SHA512-CRYPT", "$6$"},
        {"scram-sha-256", "SCRAM-SHA-256", NULL},
};

static int
usage_error(const char *what)
{
	fprintf(stderr, "ferry passwd: %s\n", what);
	cli_print_usage(&cli_passwd, 1);
	return EX_USAGE;
}

/* One line from f without its newline; -1 at EOF, on error or when too
 * long. */
static int
read_line(FILE *f, char *buf, size_t size)
{
	size_t n;

	if (fgets(buf, (int)size, f) == NULL)
		return -1;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(f))
		return -1; /* longer than the buffer */
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}

/* Prompt on the terminal and read without echo. */
static int
read_tty(FILE *tty, const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	int fd = fileno(tty), rc;

	if (tcgetattr(fd, &old) < 0)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	fputs(prompt, tty);
	fflush(tty);
	if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0)
		return -1;
	rc = read_line(tty, buf, size);
	(void)tcsetattr(fd, TCSAFLUSH, &old);
	fputs("\n", tty);
	return rc;
}

static int
get_password(bool from_stdin, char *pw, size_t size)
{
	char again[PW_MAX + 2];
	FILE *tty;
	int rc = -1;

	if (from_stdin) {
		if (read_line(stdin, pw, size) < 0) {
			fprintf(stderr, "ferry passwd: no password on "
			                "standard input (or too long)\n");
			return -1;
		}
		return 0;
	}
	tty = fopen("/dev/tty", "r+");
	if (tty == NULL) {
		fprintf(stderr,
		        "ferry passwd: no terminal (%s); use "
		        "--stdin\n",
		        strerror(errno));
		return -1;
	}
	if (read_tty(tty, "New password: ", pw, size) == 0 &&
	    read_tty(tty, "Retype new password: ", again, sizeof(again)) == 0) {
		if (strcmp(pw, again) == 0)
			rc = 0;
		else
			fprintf(stderr, "ferry passwd: the passwords do not "
			                "match\n");
	} else {
		fprintf(stderr, "ferry passwd: could not read the password\n");
	}
	OPENSSL_cleanse(again, sizeof(again));
	fclose(tty);
	return rc;
}

static char *
hash_crypt(const struct scheme *s, const char *pw, unsigned long rounds)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	char *out = NULL;

	/* libcrypt's bcrypt default (5) is too cheap today. */
	if (rounds == 0 && strcmp(s->prefix, "$2b$") == 0)
		rounds = 10;
	if (crypt_gensalt_rn(s->prefix, rounds, NULL, 0, setting,
	                     sizeof(setting)) == NULL) {
		fprintf(stderr,
		        "ferry passwd: %s: bad --rounds for this "
		        "scheme\n",
		        s->name);
		return NULL;
	}
	cd = calloc(1, sizeof(*cd));
	if (cd != NULL && crypt_rn(pw, setting, cd, sizeof(*cd)) != NULL &&
	    cd->output[0] != '*')
		out = str_dup(cd->output);
	if (cd != NULL) {
		OPENSSL_cleanse(cd, sizeof(*cd));
		free(cd);
	}
	if (out == NULL)
		fprintf(stderr, "ferry passwd: crypt failed\n");
	return out;
}

static char *
hash_scram(const char *pw, unsigned long rounds)
{
	char *out;

	if (rounds == 0)
		rounds = SCRAM_ITER_DEFAULT;
	if (rounds < SCRAM_ITER_MIN || rounds > SCRAM_ITER_MAX) {
		fprintf(stderr,
		        "ferry passwd: --rounds for scram-sha-256 "
		        "must be %d to %d\n",
		        SCRAM_ITER_MIN, SCRAM_ITER_MAX);
		return NULL;
	}
	out = auth_scram_stored(pw, (unsigned)rounds);
	if (out == NULL)
		fprintf(stderr, "ferry passwd: key derivation failed\n");
	return out;
}

static const struct scheme *
find_scheme(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strcmp(schemes[i].name, name) == 0)
			return &schemes[i];
	return NULL;
}

static bool
valid_user(const char *u)
{
	size_t n = strlen(u);

	return n > 0 && n <= AUTH_USER_MAX && strpbrk(u, ":\t\r\n") == NULL;
}

static int
passwd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"scheme", required_argument, NULL, 's'},
	        {"stdin", no_argument, NULL, 'i'},
	        {"rounds", required_argument, NULL, 'r'},
	        {"user", required_argument, NULL, 'u'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const struct scheme *s = &schemes[0];
	const char *user = NULL;
	unsigned long rounds = 0;
	bool from_stdin = false;
	char pw[PW_MAX + 2], *hash, *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:r:u:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if ((s = find_scheme(optarg)) == NULL)
				return usage_error("unknown scheme");
			break;
		case 'i':
			from_stdin = true;
			break;
		case 'r':
			errno = 0;
			rounds = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || optarg[0] == '-')
				return usage_error("--rounds takes a number");
			break;
		case 'u':
			if (!valid_user(optarg))
				return usage_error("bad user name");
			user = optarg;
			break;
		case 'h':
			cli_print_usage(&cli_passwd, 0);
			return 0;
		default:
			cli_print_usage(&cli_passwd, 1);
			return EX_USAGE;
		}
	}
	if (optind != argc)
		return usage_error("unexpected argument");
	if (get_password(from_stdin, pw, sizeof(pw)) < 0)
		return EX_DATAERR;
	if (pw[0] == '\0' || strlen(pw) > PW_MAX) {
		OPENSSL_cleanse(pw, sizeof(pw));
		fprintf(stderr,
		        "ferry passwd: the password must be 1 to %d "
		        "bytes\n",
		        PW_MAX);
		return EX_DATAERR;
	}
	hash = s->prefix != NULL ? hash_crypt(s, pw, rounds)
	                         : hash_scram(pw, rounds);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (hash == NULL)
		return EX_SOFTWARE;
	if (user != NULL)
		printf("%s:", user);
	printf("{%s}%s\n", s->label, hash);
	free(hash);
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}

const struct cli_command cli_passwd = {
        .name = "passwd",
        .run = passwd_run,
        .summary = "hash a password for the [auth] passwd_file",
        .usage = "usage: ferry passwd [--scheme SCHEME] [--rounds N] "
                 "[--user NAME] [--stdin]\n"
                 "\n"
                 "Hash a password and print it in the form the passwd-file "
                 "backend\n"
                 "([auth] backend = passwd-file) and Dovecot read:\n"
                 "\n"
                 "    {SCHEME}hash               or, with --user,\n"
                 "    NAME:{SCHEME}hash\n"
                 "\n"
                 "Paste it as the second field of the user's line in the "
                 "file; ferry\n"
                 "notices the change on the next login, no restart needed.\n"
                 "\n"
                 "The password is read twice from the terminal without "
                 "echo.  With\n"
                 "--stdin it is read once, as the first line of standard "
                 "input (for\n"
                 "scripts; keep it out of shell history and process "
                 "lists).\n"
                 "\n"
                 "Options:\n"
                 "  --scheme SCHEME  yescrypt (default), bcrypt, "
                 "sha512-crypt or\n"
                 "                   scram-sha-256.\n"
                 "  --rounds N       cost: yescrypt 1-11 (default 5), "
                 "bcrypt 4-31\n"
                 "                   (default 10), sha512-crypt 1000-999999999"
                 "\n"
                 "                   (default 5000), scram-sha-256 iterations"
                 "\n"
                 "                   4096-10000000 (default 4096).\n"
                 "  --user NAME      print a whole \"NAME:{SCHEME}hash\" "
                 "line.\n"
                 "  --stdin          read the password from standard input."
                 "\n"
                 "\n"
                 "Choosing a scheme:\n"
                 "  yescrypt, bcrypt and sha512-crypt are one-way hashes: "
                 "the users\n"
                 "  can log in with AUTH PLAIN or LOGIN (over TLS), and a "
                 "stolen file\n"
                 "  is slow to attack (yescrypt most of all).  They cannot "
                 "serve\n"
                 "  SCRAM-SHA-256, whose proof needs keys derived from the "
                 "password.\n"
                 "  scram-sha-256 stores those keys (RFC 5802 StoredKey and "
                 "ServerKey,\n"
                 "  PBKDF2-SHA-256): the user can use PLAIN, LOGIN and "
                 "SCRAM-SHA-256,\n"
                 "  and SCRAM never sends the password, but a stolen file is "
                 "cheaper\n"
                 "  to attack and lets the thief pose as this server to "
                 "SCRAM clients.\n"
                 "  Use scram-sha-256 only for clients that want SCRAM.\n"
                 "\n"
                 "Exit status: 0 on success, 64 on a usage error, 65 when "
                 "no usable\n"
                 "password was read, 70 when hashing failed.\n"
                 "\n"
                 "Example:\n"
                 "  ferry passwd --user alice >> /etc/ferry/passwd\n"
                 "  printf '%s\\n' \"$PW\" | ferry passwd --stdin "
                 "--scheme bcrypt\n",
};
