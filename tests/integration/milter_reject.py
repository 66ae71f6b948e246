"""A small milter for the tests (python3-milter, i.e. libmilter): refuses
RCPT to reject-rcpt@..., and at the end of the message rejects a Subject
containing "spam", tempfails one containing "later", discards one with
"drop", and otherwise adds X-Milter-Seen (with the queue id macro) and
deletes X-Remove-Me.  Usage: milter_reject.py SOCKET"""
import sys

import Milter


class Judge(Milter.Base):
    def __init__(self):
        self.id = Milter.uniqueID()
        self.subject = ""

    @Milter.noreply
    def connect(self, name, family, hostaddr):
        return Milter.CONTINUE

    def envrcpt(self, to, *params):
        if to.lower().startswith("<reject-rcpt@"):
            self.setreply("550", "5.1.1", "no such user here")
            return Milter.REJECT
        return Milter.CONTINUE

    def header(self, name, value):
        if name.lower() == "subject":
            self.subject = value
        return Milter.CONTINUE

    def eom(self):
        if "spam" in self.subject:
            self.setreply("554", "5.7.1", "spam is not welcome")
            return Milter.REJECT
        if "later" in self.subject:
            return Milter.TEMPFAIL
        if "drop" in self.subject:
            return Milter.DISCARD
        self.addheader("X-Milter-Seen", "queue id %s" % self.getsymval("i"))
        self.chgheader("X-Remove-Me", 1, "")
        return Milter.ACCEPT


def main():
    Milter.factory = Judge
    Milter.set_flags(Milter.ADDHDRS | Milter.CHGHDRS)
    Milter.runmilter("judge", sys.argv[1], 60)


if __name__ == "__main__":
    main()
