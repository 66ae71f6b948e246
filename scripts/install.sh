#!/bin/sh
# install.sh — `make install` and `make uninstall`: the binary (with
# sendmail, mailq and newaliases links to it) and manual pages, the `ferry` system user, /etc/ferry with an example configuration,
# and the spool, each with its owner and mode.
#
# usage: scripts/install.sh install|uninstall
# Environment (from the Makefile): DESTDIR SBINDIR MANDIR SYSCONFDIR
# SPOOLDIR FERRY_USER.  With DESTDIR set (packaging), no user is created
# and owners are left to the package.
set -eu

action=${1:?usage: install.sh install|uninstall}
: "${DESTDIR:=}" "${SBINDIR:=/usr/local/sbin}" "${MANDIR:=/usr/local/share/man}"
: "${SYSCONFDIR:=/etc}" "${SPOOLDIR:=/var/spool/ferry}" "${FERRY_USER:=ferry}"
top=$(cd "$(dirname "$0")/.." && pwd)
conf_dir=$DESTDIR$SYSCONFDIR/ferry
root=no
[ "$(id -u)" -eq 0 ] && [ -z "$DESTDIR" ] && root=yes

# sendmail, mailq and newaliases: links to ferry, which acts on the name
# it is run under.  A file of another MTA by that name is left alone.
compat_links() {
	for name in sendmail mailq newaliases; do
		link=$DESTDIR$SBINDIR/$name
		if [ -e "$link" ] && [ "$(readlink "$link")" != ferry ]; then
			echo "install: $link exists (another MTA?): not replaced"
			continue
		fi
		ln -sf ferry "$link"
	done
}

remove_compat_links() {
	for name in sendmail mailq newaliases; do
		link=$DESTDIR$SBINDIR/$name
		if [ "$(readlink "$link" 2>/dev/null)" = ferry ]; then
			rm -f "$link"
		fi
	done
}

make_user() {
	if getent passwd "$FERRY_USER" >/dev/null; then
		return
	fi
	useradd --system --user-group --home-dir /nonexistent \
		--no-create-home --shell /usr/sbin/nologin "$FERRY_USER"
	echo "install: created system user $FERRY_USER"
}

do_install() {
	install -d "$DESTDIR$SBINDIR" "$DESTDIR$MANDIR/man8" \
		"$DESTDIR$MANDIR/man5"
	install -m 755 "$top/ferry" "$DESTDIR$SBINDIR/ferry"
	compat_links
	install -m 644 "$top/docs/man/ferry.8" "$DESTDIR$MANDIR/man8/ferry.8"
	install -m 644 "$top/docs/man/ferry.conf.5" \
		"$DESTDIR$MANDIR/man5/ferry.conf.5"
	[ "$root" = yes ] && make_user
	install -d -m 755 "$conf_dir"
	install -m 644 "$top/docs/ferry.conf.example" \
		"$conf_dir/ferry.conf.example"
	# An existing configuration is the administrator's: never replaced.
	# Readable by every user: ferry sendmail and mailq read it.  Secrets
	# go in files of their own (passwd, smarthost_password_file).
	if [ ! -e "$conf_dir/ferry.conf" ]; then
		install -m 644 "$top/docs/ferry.conf.example" \
			"$conf_dir/ferry.conf"
		echo "install: $conf_dir/ferry.conf: edit it, then run" \
			"'ferry check-config'"
	fi
	# The example's passwd_file, without users yet; the daemon re-reads
	# it when it changes, so its group reads it.
	if [ ! -e "$conf_dir/passwd" ]; then
		install -m 640 /dev/null "$conf_dir/passwd"
		[ "$root" = yes ] && chown "root:$FERRY_USER" "$conf_dir/passwd"
	fi
	# 0755: ferry sendmail run by any user reaches SPOOL/maildrop
	install -d -m 755 "$DESTDIR$SPOOLDIR"
	if [ "$root" = yes ]; then
		chown "$FERRY_USER:$FERRY_USER" "$DESTDIR$SPOOLDIR"
	fi
	return 0
}

do_uninstall() {
	remove_compat_links
	rm -f "$DESTDIR$SBINDIR/ferry" "$DESTDIR$MANDIR/man8/ferry.8" \
		"$DESTDIR$MANDIR/man5/ferry.conf.5" \
		"$conf_dir/ferry.conf.example"
	echo "uninstall: kept $conf_dir, $DESTDIR$SPOOLDIR (queued mail) and" \
		"the user $FERRY_USER; remove them by hand when they are no" \
		"longer wanted"
}

case $action in
install) do_install ;;
uninstall) do_uninstall ;;
*) echo "usage: install.sh install|uninstall" >&2; exit 64 ;;
esac
