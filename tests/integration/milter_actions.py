"""A milter for the tests (python3-milter) that acts on the envelope at the
end of the message, by the Subject: "quarantine" quarantines it with a
reason, "chgfrom" makes the sender <changed@example.test>, "addrcpt" adds
bob@example.test, "delrcpt" removes alice@example.test; it accepts
everything else unchanged.  Usage: milter_actions.py SOCKET"""
import sys

import Milter


class Actions(Milter.Base):
    def __init__(self):
        self.subject = ""

    def header(self, name, value):
        if name.lower() == "subject":
            self.subject = value
        return Milter.CONTINUE

    def eom(self):
        if "quarantine" in self.subject:
            self.quarantine("looks like phishing")
        if "chgfrom" in self.subject:
            self.chgfrom("<changed@example.test>")
        if "addrcpt" in self.subject:
            self.addrcpt("<bob@example.test>")
        if "delrcpt" in self.subject:
            self.delrcpt("<alice@example.test>")
        return Milter.ACCEPT


def main():
    Milter.factory = Actions
    Milter.set_flags(Milter.QUARANTINE | Milter.CHGFROM | Milter.ADDRCPT |
                     Milter.DELRCPT)
    Milter.runmilter("actions", sys.argv[1], 60)


if __name__ == "__main__":
    main()
