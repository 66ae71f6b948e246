#!/usr/bin/env python3
"""Extract every SMTP reply listed in the seed documents into a TSV table.

Output columns: id, source (file:line), reply.  id is a short hash of the
reply text so the hand-written expectations (tests/data/seed-expected.tsv)
stay attached to their reply when the extraction is re-run.

What counts as a reply in the seeds:
  * Gmail's list:       421, «4.7.0», text (translation in parentheses dropped)
  * reply lists:        "550 5.1.1 text", "S: 250 Ok", "421 — text", "420 «text»"
  * code tables:        a code alone on a line, described on the next line
  * code descriptions:  "5.1.2 Bad destination system address" (dotted codes
                        at the start of a line, including the 1.0.1 / 3.5.4
                        forms some guides use for basic codes)
  * quoted in prose:    “451 4.7.1 Greylisting in action ...”,
                        <host #4.5.3 smtp;452 4.5.3 Error: ...>
Multi-line replies (S: 551-... / S: 551 ...) are joined into one.

usage: scripts/extract-seed-replies.py [SEED_DIR] > tests/data/seed-replies.tsv
"""
import hashlib
import os
import re
import sys

CYR = re.compile(r'[А-Яа-яЁё]')
MAXLEN = 240

GMAIL = re.compile(r'^(\d{3}),\s*[«"“](\d\.\d{1,3}\.\d{1,3})[»"”][.,]\s*(.+)$')
LINE_REPLY = re.compile(r'^(?:S:\s*)?([1-5]\d\d)(?:([ -])(.*))?$')
DASH_REPLY = re.compile(r'^([1-5]\d\d)\s+—\s+(.+)$')
CODE_ALONE = re.compile(r'^([1-5]\d\d)(?:\s*/\s*([1-5]\d\d))?$')
DOTTED = re.compile(r'^([1-5]\.\d{1,3}\.\d{1,3})\s+(\S.*)$')
QUOTED = re.compile(r'[“"«]([^”"»]{4,400})[”"»]')
IN_QUOTE = re.compile(r'(?:^|[\s:(])([245]\d\d(?:[ -][245]\.\d{1,3}\.\d{1,3})?'
                      r'(?:\s[^\s].*)?)$')
BARE_CODES = re.compile(r'(?:^|\s)([245]\d\d\s[245]\.\d{1,3}\.\d{1,3})\s*$')
NDR = re.compile(r'(<[^<>\s]+ #\d\.\d\.\d+ smtp;\d{3} [^>]+>)')
INLINE_GMAIL = re.compile(r'(\d{3} \d\.\d\.\d+ This message violates[^(]*gsmtp)')
SAID = re.compile(r'Remote host said: (\d{3} [^«»"”]+?)[«»"”]')


def strip_translation(text):
    """Drop a trailing (Russian translation) from Gmail's list."""
    m = re.search(r'\s\((?=[^)]*' + CYR.pattern + ')', text)
    if m and not CYR.search(text[:m.start()]):
        text = text[:m.start()]
    return text.strip()


def clip(text):
    text = ' '.join(text.split())
    if len(text) > MAXLEN:
        cut = text.rfind(' ', 0, MAXLEN)
        text = text[:cut if cut > 0 else MAXLEN]
    return text.strip().rstrip(',')


class Collector:
    def __init__(self):
        self.rows = []
        self.seen = set()

    def add(self, source, reply):
        reply = clip(reply)
        if not reply or reply in self.seen:
            return
        self.seen.add(reply)
        rid = hashlib.sha1(reply.encode('utf-8')).hexdigest()[:10]
        self.rows.append((rid, source, reply))


def quoted_replies(line):
    out = []
    for q in QUOTED.findall(line):
        q = re.sub(r'^(?:SMTP (?:error|Error|Permanent Error)[^:]*?:?\s*)'
                   r'(?:\d{3}\s*(?=\d{3}))?', '', q.strip())
        q = re.sub(r'^SMTP Error\s+', '', q)
        m = IN_QUOTE.search(q) or BARE_CODES.search(q)
        if m:
            out.append(m.group(1))
        elif re.match(r'^\d\.\d\.\d', q):
            out.append(q)
    out += NDR.findall(line)
    out += INLINE_GMAIL.findall(line)
    out += SAID.findall(line)
    return out


def line_reply(line, lines, i):
    """The reply a list line holds (joining S: continuation lines)."""
    m = GMAIL.match(line)
    if m:
        return '%s %s %s' % (m.group(1), m.group(2),
                             strip_translation(m.group(3)))
    m = DASH_REPLY.match(line)
    if m:
        return '%s %s' % (m.group(1), m.group(2))
    m = LINE_REPLY.match(line)
    if m and (m.group(3) is None or not m.group(3)[:1].isdigit() or
              re.match(r'[245]\.\d{1,3}\.\d{1,3}\b', m.group(3))):
        text = line[2:].strip() if line.startswith('S:') else line
        while m.group(2) == '-' and i + 1 < len(lines):
            i += 1
            nxt = lines[i].strip()
            m = LINE_REPLY.match(nxt[2:].strip() if nxt.startswith('S:')
                                 else nxt)
            if not m:
                break
            text += ' ' + (nxt[2:].strip() if nxt.startswith('S:') else nxt)
        return text
    m = DOTTED.match(line)
    if m:
        return line
    return None


def table_reply(lines, i):
    """A code alone on its line described by the next non-blank line."""
    m = CODE_ALONE.match(lines[i].strip())
    if not m:
        return None
    for j in range(i + 1, min(i + 4, len(lines))):
        desc = lines[j].strip()
        if desc:
            if CODE_ALONE.match(desc) or desc in ('Code', 'Description'):
                return None
            return '%s %s' % (m.group(1), desc)
    return None


PROSE = re.compile(r'^\d{3} (?:is|can|errors?|and|or)\b')


def continues(prev, line):
    """True if line continues prev's multi-line reply (NNN-... then NNN)."""
    prev = prev[2:].strip() if prev.startswith('S:') else prev
    line = line[2:].strip() if line.startswith('S:') else line
    return (len(prev) > 3 and prev[3] == '-' and prev[:3].isdigit() and
            line[:3] == prev[:3])


def scan(path, col):
    name = os.path.basename(path)
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    for i, raw in enumerate(lines):
        line = raw.strip()
        src = '%s:%d' % (name, i + 1)
        if PROSE.match(line):
            continue
        if i > 0 and continues(lines[i - 1].strip(), line):
            continue
        rep = table_reply(lines, i) or line_reply(line, lines, i)
        if rep:
            col.add(src, rep)
        if GMAIL.match(line):
            continue
        for q in quoted_replies(line):
            col.add(src, q)


def main():
    seeds = sys.argv[1] if len(sys.argv) > 1 else '/work/shared/seeds'
    col = Collector()
    for fn in sorted(os.listdir(seeds)):
        if fn.endswith('.txt'):
            scan(os.path.join(seeds, fn), col)
    print('# generated by scripts/extract-seed-replies.py; do not edit')
    print('id\tsource\treply')
    for row in col.rows:
        print('\t'.join(row))


main()
