#!/usr/bin/env python3
"""Recall quality of Mira's personal memory on LoCoMo (issue 18).

LoCoMo (snap-research/locomo, data/locomo10.zip) holds 10 long conversations between
two people, each over 19 to 32 sessions months apart (5,882 turns in all), and 1,986
questions about them, each with the turns that hold its answer marked as evidence
("D3:12" = session 3, turn 12) and a category (as commonly mapped: 1 multi-hop,
2 temporal, 3 open-domain, 4 single-hop, 5 adversarial).

Metric (issue 18): for each question, recall is asked for the top 10 items; the items
are walked in order, collecting the distinct message ids they cite, stopping at 20
distinct; the score is |evidence ∩ cited| / |evidence|. Reported: the mean over the
questions, overall and per category. The baseline `bm25-turns` is also reported with
20 items (for single-turn items: the top 20 turns).

Questions counted by default: all categories (1,982 questions with usable evidence;
--categories 1,2,3,4 leaves out the adversarial ones, 1,536 questions). Counting all
categories is what reproduces the issue's baseline figures (0.567 / 0.632); without
category 5 the same baseline reads 0.542 / 0.606 (see the tuning notes at the end).

Evidence normalisation: each evidence string is searched for ids of the form
D<session>:<turn> (tolerating "D8:6; D9:17", "D9:1 D4:4 D4:6", "D:11:26" and leading
zeros, "D30:05" -> "D30:5"); ids are deduplicated in order; ids that do not exist in
the conversation ("D10:19" in conv-42, "D4:36" in conv-47) and unparsable strings ("D")
are dropped and recorded in the per-question rows (3 ids); a question left with no
evidence is skipped (4 questions of category 3 have none at all). 1,982 of the 1,986
questions remain.

Text of a turn: its text, and for a turn that shares a photograph, the caption
appended as the official LoCoMo retriever does it (task_eval/dpr_qa.py appends
"[shares CAPTION]" after the turn): TEXT + " [shares " + blip_caption + "]". Both the
baseline and Mira see this same text. The dataset's own annotations (session_N_summary,
session_N_observation, events_session_N) are never given to the system under test.

Systems (--systems, comma separated):

  bm25-turns[:VARIANT]  Okapi BM25 in this script (k1 1.2, b 0.75) over the turns of
           the one conversation the question belongs to, an item per turn citing it.
           Default tokenisation: lower case, words = runs of [a-z0-9] with inner
           apostrophes kept ("don't", "caroline's"), English stopwords removed from
           documents and query (the 93-word list of crates/mira-memory/src/query.rs:
           articles, pronouns, auxiliaries, question words), no stemming, each query
           word counted once, Lucene's idf ln(1 + (N - df + 0.5) / (df + 0.5)),
           documents with score 0 not returned, ties in document order. VARIANT is a
           '+'-separated list of flags (VARIANT_HELP below, --help-variants), e.g.
           bm25-turns:stem+speaker+prev+cnext.
  fts5-turns[:OPTIONS]  Mira's present lexical turn recall emulated with Python's
           SQLite FTS5 (see Fts5System): porter tokenizer, columns speaker, text and
           the previous turn (400 characters, weight 0.3), the question's words less
           Mira's stopwords joined with OR. Facts and summaries are not emulated.
  mira     the system under test through its CLI (--mira PATH). A fresh data dir
           WORK/mira-data is made and passed as MIRA_DATA_DIR (the rest of the
           environment passes through). Each conversation is converted to the
           transcript import format (WORK/transcripts/CONV_ID.json) and imported once
           with `mira memory import FILE --json` (its report kept in
           WORK/import-CONV_ID.out); then each question is asked with
             mira memory search --conversation CONV_ID --limit 10 --json -- QUESTION
           or, with --batch, all questions of a conversation at once with
             mira memory search --queries FILE --conversation CONV_ID --limit 10 --json
           (FILE: a JSON array of query strings; output: a JSON array of answers in
           the same order). Cited ids are items[].sources[].message in item order
           (sources of another conversation are ignored). Mira runs in WORK (so no
           project of the current directory is in scope).

Import format (one file per conversation, see --emit-transcripts):
  {"conversation_id": "conv-26",
   "sessions": [{"id": "session_1", "started_at": "2023-05-08T13:56:00Z",
                 "messages": [{"id": "D1:1", "speaker": "Caroline", "text": "..."}]}]}
Session dates ("1:56 pm on 8 May, 2023") are read as UTC.

Search answer read from Mira:
  {"items": [{"id": ..., "kind": "turn"|"fact"|"summary", "text": ..., "score": ...,
              "valid_from": ..., "valid_to": ...,
              "sources": [{"conversation": "conv-26", "message": "D1:3"}]}]}

Output: a table (system, questions, score with 10 items capped at 20 cited messages,
score with 20 items (bm25 only), per category, seconds per query) on stdout and in
WORK/summary.md; per-question rows in WORK/results-<system>.jsonl (system name with
':' and '+' kept, '/' replaced).

Command lines:

    python3 scripts/bench-memory.py --data /tmp/locomo/data/multimodal_dialog/locomo10_v2 \\
        --work /tmp/bm --systems bm25-turns
    python3 scripts/bench-memory.py --data DATA --work /tmp/bm \\
        --systems bm25-turns,bm25-turns:speaker+prev,bm25-turns:win3
    python3 scripts/bench-memory.py --data DATA --work /tmp/bm --systems mira \\
        --mira target/release/mira --batch
    python3 scripts/bench-memory.py --data DATA --emit-transcripts /tmp/transcripts
    python3 scripts/bench-memory.py --data DATA --work /tmp/bm --explore   # all variants

Quick runs: --limit-conversations 2, --categories 1,4. --data takes the folder of
per-conversation files (locomo10_v2/*.json, conversation id "conv-" + file stem) or
the single locomo10.json list (conversation id = sample_id). Stdlib only, Python 3.11.

Tuning notes (how the baseline matches the issue's figures, 10 items / 20 items):
the default gives 0.567 / 0.632 over all categories, exactly the issue's figures, and
0.542 / 0.606 without category 5. Close alternatives over all categories: words as
plain [a-z0-9] runs 0.563 / 0.635; NLTK's 179 stopwords with [a-z0-9] words 0.561 /
0.633 (with apostrophe words 0.558 / 0.630); classic idf ln((N - df + 0.5) / (df + 0.5)) 0.567 / 0.635;
stopwords removed from the query only 0.560 / 0.630; no captions 0.563 / 0.624.
Lucene's 33 stopwords (0.505 / 0.580) and no stopwords (0.511 / 0.584) are far off, and
so is any choice without category 5 (0.53-0.54 / 0.60-0.61) unless the speaker's name
is prefixed to each turn (with [a-z0-9] words, 0.568 / 0.632 for categories 1-4: a
second, less likely reading, as the issue says "raw turns"). --explore prints these
(and --categories 1,2,3,4 --explore the same without category 5).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

CATEGORY_NAMES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
ITEMS = 10
CITE_CAP = 20

# NLTK's English stopword list (179 words).
NLTK_STOPWORDS = set("""
i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself
yourselves he him his himself she she's her hers herself it it's its itself they them their
theirs themselves what which who whom this that that'll these those am is are was were be
been being have has had having do does did doing a an the and but if or because as until
while of at by for with about against between into through during before after above below
to from up down in out on off over under again further then once here there when where why
how all any both each few more most other some such no nor not only own same so than too
very s t can will just don don't should should've now d ll m o re ve y ain aren aren't
couldn couldn't didn didn't doesn doesn't hadn hadn't hasn hasn't haven haven't isn isn't
ma mightn mightn't mustn mustn't needn needn't shan shan't shouldn shouldn't wasn wasn't
weren weren't won won't wouldn wouldn't
""".split())

# Lucene's (and Tantivy's) default English stopword list (33 words).
LUCENE_STOPWORDS = set("""
a an and are as at be but by for if in into is it no not of on or such that the their then
there these they this to was will with
""".split())

# Mira's query stopwords (crates/mira-memory/src/query.rs, as of this script).
MIRA_STOPWORDS = set("""
a about after again all also am an and any are as at be been before being but by can could did
do does doing for from had has have having he her hers him his how i if in into is it its just me
might my of on or our ours she should so some such than that the their theirs them then there
these they this those to too us was we were what when where which while who whom whose why will
with would you your yours s t
""".split())

# Extra words dropped from questions by the `qclean` variant: question scaffolding that
# the NLTK list keeps.
QUESTION_WORDS = set("""
what when where who whom which why how did does do kind kinds type types sort name names
would could might likely many much ever recently mention mentioned mentions say said
tell told think thinks talk talked something anything someone thing things one ones
""".split())

VARIANT_HELP = """\
Variant flags for bm25-turns (join with '+', e.g. bm25-turns:speaker+prev+stem):
  tok=apos|alnum|word  tokens: runs of [a-z0-9] with inner apostrophes kept
                       ("caroline's", "don't"; default) | runs of [a-z0-9] | \\w+
  sw=mira|nltk|lucene|none  stopword list: the 93 words of
                       crates/mira-memory/src/query.rs (default) | NLTK's 179 |
                       Lucene's 33 | none
  qsw                  stopwords removed from the query only; documents keep every
                       word (their length counts all words), as with SQLite FTS5
  idf=lucene|classic   ln(1+(N-df+.5)/(df+.5)) (default) | ln((N-df+.5)/(df+.5)),
                       negative values floored at 0
  qtf=uniq|multi       query word counted once (default) | as often as it occurs
  k1=X b=X             BM25 parameters (default 1.2, 0.75)
  zero                 also return documents with score 0 (to fill the list)
  nocap                leave image captions out
  speaker              document text prefixed with "SPEAKER: "
  date                 document text prefixed with the session date ("8 May 2023")
  prevw=X              as prev, the previous turn's words weigh X in the term
                       frequency (FTS5 column weight; length counts them fully)
  prev | next | ctx    the document of a turn includes the previous | next | both
                       neighbouring turn(s) of the same session; the item cites the
                       turn first, then the neighbour(s)
  cite1                with prev/next/ctx: the item cites only the turn itself
  cprev | cnext        the item also cites the previous | next turn (text unchanged)
  winN                 documents are sliding windows of N turns within a session
                       (stride 1); an item cites all N (N = 2..9)
  dedup                skip an item whose cited messages are all cited already
  poss                 strip possessive 's (and ’s) before tokenising
  qclean               drop question scaffolding words from the query (QUESTION_WORDS)
  noname               drop the two speakers' names from the query
  stem                 Porter (1980) stemmer on documents and query
  sstem                light plural stemmer (ies->y, es->e... see s_stem)
  rm3                  pseudo relevance feedback: top 10 docs, 10 expansion terms,
                       original query weight 0.5
  rrf                  turns ranked by reciprocal rank fusion (k 60) of the turn list
                       and the list of 3-turn windows (a turn takes the best rank of
                       the windows holding it); items are turns
  rrfN                 as rrf with windows of N turns
"""


# ---------------------------------------------------------------- data


class Turn:
    __slots__ = ("id", "speaker", "text", "session", "index", "date")

    def __init__(self, id, speaker, text, session, index, date):
        self.id = id
        self.speaker = speaker
        self.text = text
        self.session = session  # session number
        self.index = index  # position within the session
        self.date = date  # datetime or None


class Conversation:
    def __init__(self, cid, speakers, sessions, qa):
        self.id = cid
        self.speakers = speakers
        self.sessions = sessions  # list of (number, date_string, datetime|None, [Turn])
        self.qa = qa
        self.turns = [t for s in sessions for t in s[3]]
        self.ids = {t.id for t in self.turns}


MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}


def parse_date(s):
    """'1:56 pm on 8 May, 2023' -> datetime (UTC); None when unreadable."""
    m = re.match(r"\s*(\d{1,2}):(\d{2})\s*([ap]m)\s+on\s+(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4})\s*$", s or "", re.I)
    if not m:
        return None
    hour, minute, ampm, day, month, year = m.groups()
    hour = int(hour) % 12 + (12 if ampm.lower() == "pm" else 0)
    mon = MONTHS.get(month.lower())
    if mon is None:
        return None
    return dt.datetime(int(year), mon, int(day), hour, int(minute), tzinfo=dt.timezone.utc)


def turn_text(t):
    text = t.get("text", "") or ""
    cap = t.get("blip_caption")
    if cap:
        text = text + " [shares " + cap + "]"
    return text


def read_conversation(cid, conv, qa):
    sessions = []
    nums = sorted(int(m.group(1)) for k in conv if (m := re.fullmatch(r"session_(\d+)", k)))
    for n in nums:
        raw = conv.get(f"session_{n}") or []
        if not raw:
            continue
        ds = conv.get(f"session_{n}_date_time", "")
        when = parse_date(ds)
        turns = [Turn(t["dia_id"], t.get("speaker", ""), turn_text(t), n, i, when) for i, t in enumerate(raw)]
        sessions.append((n, ds, when, turns))
    speakers = [conv.get("speaker_a", ""), conv.get("speaker_b", "")]
    return Conversation(cid, speakers, sessions, qa)


def load(path):
    p = Path(path)
    out = []
    if p.is_dir():
        files = sorted(p.glob("*.json"), key=lambda f: (not f.stem.isdigit(), int(f.stem) if f.stem.isdigit() else 0, f.stem))
    else:
        files = [p]
    for f in files:
        data = json.loads(f.read_text())
        entries = data if isinstance(data, list) else [data]
        for i, e in enumerate(entries):
            if "conversation" in e:  # locomo10.json shape
                cid = e.get("sample_id") or f"conv-{i}"
                out.append(read_conversation(cid, e["conversation"], e.get("qa", [])))
            else:  # locomo10_v2/<n>.json shape
                cid = e.get("sample_id") or ("conv-" + f.stem if len(entries) == 1 else f"conv-{f.stem}-{i}")
                out.append(read_conversation(cid, e, e.get("qa", [])))
    return out


EVID_RE = re.compile(r"D\s*:?\s*(\d+)\s*:\s*(\d+)")


def normalise_evidence(raw, ids):
    """Evidence strings -> (kept ids in order, dropped strings/ids)."""
    kept, dropped = [], []
    for s in raw or []:
        found = EVID_RE.findall(str(s))
        if not found:
            dropped.append(str(s))
            continue
        for a, b in found:
            e = f"D{int(a)}:{int(b)}"
            if e not in ids:
                dropped.append(e)
            elif e not in kept:
                kept.append(e)
    return kept, dropped


def questions(convs, categories):
    """[(conv, qi, qa, evidence, dropped)] for the chosen categories, evidence non-empty."""
    out, skipped = [], 0
    for c in convs:
        for qi, q in enumerate(c.qa):
            if categories and q.get("category") not in categories:
                continue
            ev, dropped = normalise_evidence(q.get("evidence"), c.ids)
            if not ev:
                skipped += 1
                continue
            out.append((c, qi, q, ev, dropped))
    return out, skipped


def transcript(c):
    return {
        "conversation_id": c.id,
        "sessions": [
            {
                "id": f"session_{n}",
                "started_at": when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else None,
                "messages": [{"id": t.id, "speaker": t.speaker, "text": t.text} for t in turns],
            }
            for n, _ds, when, turns in c.sessions
        ],
    }


# ---------------------------------------------------------------- text


def porter_stem(w):
    """Porter (1980) stemmer with the author's two later changes (bli -> ble, logi -> log),
    as SQLite FTS5's porter tokenizer has it."""
    if len(w) <= 2:
        return w

    def cons(s, i):
        ch = s[i]
        if ch in "aeiou":
            return False
        if ch == "y":
            return i == 0 or not cons(s, i - 1)
        return True

    def measure(s):
        n, i, L = 0, 0, len(s)
        while i < L and cons(s, i):
            i += 1
        while i < L:
            while i < L and not cons(s, i):
                i += 1
            if i >= L:
                break
            while i < L and cons(s, i):
                i += 1
            n += 1
        return n

    def has_vowel(s):
        return any(not cons(s, i) for i in range(len(s)))

    def double_c(s):
        return len(s) >= 2 and s[-1] == s[-2] and cons(s, len(s) - 1)

    def cvc(s):
        if len(s) < 3:
            return False
        return cons(s, len(s) - 3) and not cons(s, len(s) - 2) and cons(s, len(s) - 1) and s[-1] not in "wxy"

    # step 1a
    if w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("ies"):
        w = w[:-2]
    elif w.endswith("ss"):
        pass
    elif w.endswith("s"):
        w = w[:-1]
    # step 1b
    extra = False
    if w.endswith("eed"):
        if measure(w[:-3]) > 0:
            w = w[:-1]
    elif w.endswith("ed") and has_vowel(w[:-2]):
        w = w[:-2]
        extra = True
    elif w.endswith("ing") and has_vowel(w[:-3]):
        w = w[:-3]
        extra = True
    if extra:
        if w.endswith(("at", "bl", "iz")):
            w += "e"
        elif double_c(w) and w[-1] not in "lsz":
            w = w[:-1]
        elif measure(w) == 1 and cvc(w):
            w += "e"
    # step 1c
    if w.endswith("y") and has_vowel(w[:-1]):
        w = w[:-1] + "i"
    # step 2
    for suf, rep in (("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"),
                     ("izer", "ize"), ("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"),
                     ("ousli", "ous"), ("ization", "ize"), ("ation", "ate"), ("ator", "ate"),
                     ("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous"),
                     ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"), ("logi", "log")):
        if w.endswith(suf):
            if measure(w[: -len(suf)]) > 0:
                w = w[: -len(suf)] + rep
            break
    # step 3
    for suf, rep in (("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"),
                     ("ful", ""), ("ness", "")):
        if w.endswith(suf):
            if measure(w[: -len(suf)]) > 0:
                w = w[: -len(suf)] + rep
            break
    # step 4
    for suf in ("al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion",
                "ou", "ism", "ate", "iti", "ous", "ive", "ize"):
        if w.endswith(suf):
            stem = w[: -len(suf)]
            if measure(stem) > 1 and (suf != "ion" or stem.endswith(("s", "t"))):
                w = stem
            break
    # step 5a
    if w.endswith("e"):
        stem = w[:-1]
        m = measure(stem)
        if m > 1 or (m == 1 and not cvc(stem)):
            w = stem
    # step 5b
    if measure(w) > 1 and double_c(w) and w.endswith("l"):
        w = w[:-1]
    return w


def s_stem(w):
    """Light plural stemmer (Harman's S-stemmer)."""
    if len(w) > 3 and w.endswith("ies") and not w.endswith(("eies", "aies")):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("es") and not w.endswith(("aes", "ees", "oes")):
        return w[:-1]
    if len(w) > 2 and w.endswith("s") and not w.endswith(("us", "ss")):
        return w[:-1]
    return w


TOKEN_RES = {
    "alnum": re.compile(r"[a-z0-9]+"),
    "word": re.compile(r"\w+"),
    "apos": re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*"),
}
POSS_RE = re.compile(r"(\w)['\u2019]s\b")


class Variant:
    def __init__(self, spec):
        self.spec = spec or ""
        self.flags = set()
        self.opts = {"tok": "apos", "sw": "mira", "idf": "lucene", "qtf": "uniq", "k1": "1.2", "b": "0.75",
                     "prevw": ""}
        for part in filter(None, self.spec.split("+")):
            if "=" in part:
                k, v = part.split("=", 1)
                if k not in self.opts:
                    raise SystemExit(f"unknown variant option {k!r}\n{VARIANT_HELP}")
                self.opts[k] = v
            else:
                known = {"zero", "nocap", "speaker", "date", "prev", "next", "ctx", "cite1", "cprev", "cnext",
                         "dedup", "poss", "qclean", "noname", "stem", "sstem", "rm3", "rrf", "qsw"}
                if part not in known and not re.fullmatch(r"(win|rrf)[2-9]", part):
                    raise SystemExit(f"unknown variant flag {part!r}\n{VARIANT_HELP}")
                self.flags.add(part)
        self.token_re = TOKEN_RES[self.opts["tok"]]
        self.stop = {"nltk": NLTK_STOPWORDS, "lucene": LUCENE_STOPWORDS, "mira": MIRA_STOPWORDS,
                     "none": set()}[self.opts["sw"]]
        self.k1 = float(self.opts["k1"])
        self.b = float(self.opts["b"])
        self.window = next((int(f[3:]) for f in self.flags if f.startswith("win")), 0)
        self.rrf = next((int(f[3:] or 3) for f in self.flags if f.startswith("rrf")), 0)
        if self.rrf and self.window:
            raise SystemExit("rrf and winN do not combine (rrf fuses turns with windows itself)")
        self.prevw = float(self.opts["prevw"]) if self.opts["prevw"] else None
        if self.prevw is not None:
            self.flags.add("prev")
        self._stem_cache = {}

    def has(self, f):
        return f in self.flags

    def tokens(self, text, query=False, drop=()):
        """Terms of text; words in `drop` (or their possessive) are left out before stemming."""
        text = text.lower().replace("\u2019", "'")
        if self.has("poss"):
            text = POSS_RE.sub(r"\1", text)
        out = []
        for w in self.token_re.findall(text):
            if w in self.stop and (query or not self.has("qsw")):
                continue
            if drop and (w in drop or (w.endswith("'s") and w[:-2] in drop)):
                continue
            if self.has("stem") or self.has("sstem"):
                s = self._stem_cache.get(w)
                if s is None:
                    s = porter_stem(w) if self.has("stem") else s_stem(w)
                    self._stem_cache[w] = s
                w = s
            out.append(w)
        return out


# ---------------------------------------------------------------- BM25


class BM25:
    def __init__(self, docs, variant):
        """docs: per document a list of (tokens, weight) fields; a word's frequency is the
        weighted count over the fields, the length the plain count (as FTS5's bm25())."""
        self.v = variant
        self.N = len(docs)
        self.tf, self.len = [], []
        for fields in docs:
            c = Counter()
            for toks, wt in fields:
                for w in toks:
                    c[w] += wt
            self.tf.append(c)
            self.len.append(sum(len(toks) for toks, _ in fields))
        self.avg = (sum(self.len) / self.N) if self.N else 1.0
        self.post = defaultdict(list)
        for i, c in enumerate(self.tf):
            for w, n in c.items():
                self.post[w].append((i, n))
        self.idf = {}
        for w, p in self.post.items():
            df = len(p)
            if variant.opts["idf"] == "classic":
                self.idf[w] = max(0.0, math.log((self.N - df + 0.5) / (df + 0.5)))
            else:
                self.idf[w] = math.log(1 + (self.N - df + 0.5) / (df + 0.5))

    def scores(self, qweights):
        k1, b = self.v.k1, self.v.b
        sc = defaultdict(float)
        for w, qw in qweights.items():
            p = self.post.get(w)
            if not p:
                continue
            idf = self.idf[w] * qw
            for i, n in p:
                sc[i] += idf * n * (k1 + 1) / (n + k1 * (1 - b + b * self.len[i] / self.avg))
        return sc

    def rank(self, qweights, limit):
        sc = self.scores(qweights)
        order = sorted(sc.items(), key=lambda kv: (-kv[1], kv[0]))
        order = [(i, s) for i, s in order if s > 0]
        if self.v.has("zero") and len(order) < limit:
            seen = {i for i, _ in order}
            order += [(i, 0.0) for i in range(self.N) if i not in seen][: limit - len(order)]
        return order[:limit]


class Bm25System:
    """BM25 over one conversation's turns (or windows), with the variant's choices."""

    def __init__(self, conv, variant):
        self.c = conv
        self.v = variant
        v = variant
        self.names = {w for n in conv.speakers if n for w in re.findall(r"[a-z0-9]+", n.lower())}
        # documents: ([(text, weight)], cited message ids)
        self.docs = self._docs(v.window)
        self.index = BM25([[(v.tokens(t), wt) for t, wt in f] for f, _ in self.docs], v)
        if v.rrf:
            self.wdocs = self._docs(v.rrf)
            self.windex = BM25([[(v.tokens(t), wt) for t, wt in f] for f, _ in self.wdocs], v)

    def _text(self, t):
        v = self.v
        text = t.text
        if v.has("nocap"):
            text = re.sub(r" \[shares [^\]]*\]$", "", text)
        if v.has("speaker"):
            text = f"{t.speaker}: {text}"
        if v.has("date") and t.date:
            text = f"{t.date.day} {t.date.strftime('%B')} {t.date.year} {text}"
        return text

    def _docs(self, window):
        v = self.v
        docs = []
        for _n, _ds, _when, turns in self.c.sessions:
            if window:
                starts = range(max(1, len(turns) - window + 1))
                for s in starts:
                    ws = turns[s : s + window]
                    docs.append(([(self._text(t), 1.0) for t in ws], [t.id for t in ws]))
                continue
            for i, t in enumerate(turns):
                prev = turns[i - 1] if i > 0 else None
                nxt = turns[i + 1] if i + 1 < len(turns) else None
                parts, cites = [(self._text(t), 1.0)], [t.id]
                if (v.has("prev") or v.has("ctx")) and prev:
                    parts.insert(0, (self._text(prev), v.prevw if v.prevw is not None else 1.0))
                    if not v.has("cite1"):
                        cites.append(prev.id)
                if (v.has("next") or v.has("ctx")) and nxt:
                    parts.append((self._text(nxt), 1.0))
                    if not v.has("cite1"):
                        cites.append(nxt.id)
                if v.has("cprev") and prev and prev.id not in cites:
                    cites.append(prev.id)
                if v.has("cnext") and nxt and nxt.id not in cites:
                    cites.append(nxt.id)
                docs.append((parts, cites))
        return docs

    def query_weights(self, question):
        v = self.v
        drop = set()
        if v.has("qclean"):
            drop |= QUESTION_WORDS
        if v.has("noname"):
            drop |= self.names
        toks = v.tokens(question, query=True, drop=drop)
        if v.opts["qtf"] == "multi":
            return dict(Counter(toks))
        return {w: 1.0 for w in toks}

    def rm3(self, index, q, fb_docs=10, fb_terms=10, orig=0.5):
        top = index.rank(q, fb_docs)
        if not top:
            return q
        total = sum(s for _, s in top) or 1.0
        rel = Counter()
        for i, s in top:
            L = index.len[i] or 1
            for w, n in index.tf[i].items():
                rel[w] += (s / total) * (n / L)
        exp = dict(rel.most_common(fb_terms))
        z = sum(exp.values()) or 1.0
        qz = sum(q.values()) or 1.0
        out = Counter()
        for w, x in q.items():
            out[w] += orig * x / qz
        for w, x in exp.items():
            out[w] += (1 - orig) * x / z
        return dict(out)

    def search(self, question, limit):
        """-> list of items {"id", "score", "sources": [message ids]}"""
        v = self.v
        q = self.query_weights(question)
        if v.has("rm3"):
            q = self.rm3(self.index, q)
        deep = max(limit * 5, 100)
        ranked = self.index.rank(q, deep if (v.rrf or v.has("dedup")) else limit)
        if v.rrf:
            wq = self.rm3(self.windex, self.query_weights(question)) if v.has("rm3") else q
            wranked = self.windex.rank(wq, deep)
            fused = defaultdict(float)
            pos = {d[1][0]: i for i, d in enumerate(self.docs)}  # turn id -> doc index
            for r, (i, _s) in enumerate(ranked):
                fused[i] += 1.0 / (60 + r + 1)
            best = {}
            for r, (i, _s) in enumerate(wranked):
                for m in self.wdocs[i][1]:
                    best.setdefault(m, r)
            for m, r in best.items():
                fused[pos[m]] += 1.0 / (60 + r + 1)
            ranked = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))
        items, seen = [], set()
        for i, s in ranked:
            cites = self.docs[i][1]
            if v.has("dedup") and all(c in seen for c in cites):
                continue
            seen.update(cites)
            items.append({"id": i, "score": round(s, 4), "sources": cites})
            if len(items) >= limit:
                break
        return items


class Fts5System:
    """Mira's present turn recall, emulated with SQLite FTS5 (crates/mira-memory: table
    memory_turns_fts(speaker, text, context) with tokenize='porter unicode61
    remove_diacritics 2', context = the previous turn of the same session cut to 400
    characters, ORDER BY bm25(fts, 1.0, 1.0, 0.3); the query is the OR of the question's
    words less Mira's stopwords (query.rs)); an item cites its turn. Options (joined with
    '+'): w=S/T/C[/A[/D]] column weights (speaker, text, context, after, date), ctx=N
    context characters (0: none), after=N: a column with the next turn of the session cut
    to N characters (default 0: empty), date: a column with the session date ("8 May
    2023"), cprev / cnext: also cite the previous / next turn, dedup: skip an item whose
    cited messages are all cited already."""

    def __init__(self, conv, spec):
        import sqlite3

        self.opts = {"w": "1/1/0.3/1/1", "ctx": "400", "after": "0"}
        self.flags = set()
        for part in filter(None, (spec or "").split("+")):
            if "=" in part:
                k, val = part.split("=", 1)
                if k not in self.opts:
                    raise SystemExit(f"unknown fts5-turns option {k!r}")
                self.opts[k] = val
            elif part in ("cprev", "cnext", "dedup", "date"):
                self.flags.add(part)
            else:
                raise SystemExit(f"unknown fts5-turns flag {part!r}")
        self.weights = ([float(x) for x in self.opts["w"].split("/")] + [1.0, 1.0, 1.0, 1.0, 1.0])[:5]
        ctx, after = int(self.opts["ctx"]), int(self.opts["after"])
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE f USING fts5(speaker, text, context, after, date, "
                        "tokenize='porter unicode61 remove_diacritics 2')")
        self.cites = []
        for _n, _ds, _when, turns in conv.sessions:
            for i, t in enumerate(turns):
                prev = turns[i - 1] if i > 0 else None
                nxt = turns[i + 1] if i + 1 < len(turns) else None
                context = prev.text[:ctx] if (prev and ctx) else ""
                nexttext = nxt.text[:after] if (nxt and after) else ""
                date = f"{t.date.day} {t.date.strftime('%B')} {t.date.year}" if ("date" in self.flags and t.date) else ""
                self.db.execute("INSERT INTO f (rowid, speaker, text, context, after, date) VALUES (?, ?, ?, ?, ?, ?)",
                                (len(self.cites) + 1, t.speaker, t.text, context, nexttext, date))
                cites = [t.id]
                if "cprev" in self.flags and prev:
                    cites.append(prev.id)
                if "cnext" in self.flags and nxt:
                    cites.append(nxt.id)
                self.cites.append(cites)

    @staticmethod
    def fts_match(text):
        out = []
        for w in re.split(r"[^\w]|_", text):
            w = w.lower()
            if w and w not in MIRA_STOPWORDS and w not in out:
                out.append(w)
        out = out[:64]
        return " OR ".join('"' + w + '"' for w in out) if out else None

    def search(self, question, limit):
        m = self.fts_match(question)
        if not m:
            return []
        w = ", ".join(str(x) for x in self.weights)
        rows = self.db.execute(f"SELECT rowid, bm25(f, {w}) FROM f WHERE f MATCH ? ORDER BY bm25(f, {w}) LIMIT ?",
                               (m, max(limit * 5, 100))).fetchall()
        items, seen = [], set()
        for rowid, sc in rows:
            cites = self.cites[rowid - 1]
            if "dedup" in self.flags and all(c in seen for c in cites):
                continue
            seen.update(cites)
            items.append({"id": rowid, "score": round(-sc, 4), "sources": cites})
            if len(items) >= limit:
                break
        return items


# ---------------------------------------------------------------- metric


def cited(items, cap=CITE_CAP):
    out = []
    for it in items:
        for m in it["sources"]:
            if m not in out:
                out.append(m)
                if len(out) >= cap:
                    return out
    return out


def score(evidence, cites):
    s = set(cites)
    return sum(1 for e in evidence if e in s) / len(evidence)


# ---------------------------------------------------------------- systems


def run_bm25(name, spec, convs, qs, work, fts5=False):
    variant = None if fts5 else Variant(spec)
    rows = []
    t_query = 0.0
    systems = {}
    for c, qi, q, ev, dropped in qs:
        sys_ = systems.get(c.id)
        if sys_ is None:
            sys_ = systems[c.id] = Fts5System(c, spec) if fts5 else Bm25System(c, variant)
        t0 = time.perf_counter()
        items20 = sys_.search(q["question"], 2 * ITEMS)
        t_query += time.perf_counter() - t0
        items10 = items20[:ITEMS]
        c10 = cited(items10)
        c20 = cited(items20)
        rows.append({
            "system": name, "conversation": c.id, "q": qi, "category": q.get("category"),
            "question": q["question"], "answer": q.get("answer", q.get("adversarial_answer")),
            "evidence": ev, "evidence_dropped": dropped,
            "score": score(ev, c10), "score20": score(ev, c20),
            "cited": c10, "missed": [e for e in ev if e not in c10],
            "items": [{"id": it["id"], "score": it["score"], "sources": it["sources"]} for it in items10],
        })
    return rows, (t_query / len(qs) if qs else 0.0)


def mira_items(answer, cid):
    items = answer.get("items", []) if isinstance(answer, dict) else (answer or [])
    out = []
    for it in items:
        srcs = []
        for s in it.get("sources") or []:
            if isinstance(s, dict):
                if s.get("conversation") not in (None, cid):
                    continue
                m = s.get("message")
            else:
                m = s
            if m:
                srcs.append(str(m))
        out.append({"id": it.get("id"), "kind": it.get("kind"), "score": it.get("score"),
                    "text": (it.get("text") or "")[:300], "sources": srcs})
    return out


def parse_json(out):
    out = out.strip()
    try:
        return json.loads(out)
    except json.JSONDecodeError:
        for ch in "[{":
            i = out.find(ch)
            if i >= 0:
                try:
                    return json.loads(out[i:])
                except json.JSONDecodeError:
                    pass
        raise


def run_mira(name, args, convs, qs, work):
    mira = args.mira
    if not mira:
        raise SystemExit("--mira PATH is required for the mira system")
    if os.sep in mira:  # Mira runs in WORK: a relative path is made absolute first
        mira = os.path.abspath(mira)
    data_dir = work / "mira-data"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    env = dict(os.environ, MIRA_DATA_DIR=str(data_dir))
    tdir = work / "transcripts"
    tdir.mkdir(parents=True, exist_ok=True)
    by_conv = defaultdict(list)
    for row in qs:
        by_conv[row[0].id].append(row)
    rows, t_total, t_import = [], 0.0, 0.0
    batch = args.batch
    extra = ["--candidates", str(args.candidates)] if args.candidates else []
    for c in convs:
        if c.id not in by_conv:
            continue
        f = tdir / f"{c.id}.json"
        f.write_text(json.dumps(transcript(c), ensure_ascii=False))
        t0 = time.perf_counter()
        p = subprocess.run([mira, "memory", "import", str(f), "--json"], env=env, cwd=work,
                           capture_output=True, text=True)
        if p.returncode == 2 and "--json" in p.stderr:  # an older CLI without import --json
            p = subprocess.run([mira, "memory", "import", str(f)], env=env, cwd=work, capture_output=True, text=True)
        secs = time.perf_counter() - t0
        t_import += secs
        if p.returncode != 0:
            raise SystemExit(f"mira memory import {f} failed ({p.returncode}):\n{p.stderr[-2000:]}")
        (work / f"import-{c.id}.out").write_text(p.stdout)
        print(f"mira: imported {c.id} in {secs:.1f} s: {' '.join(p.stdout.split())[:300]}", file=sys.stderr)
        cq = by_conv[c.id]
        answers = None
        if batch:
            qf = work / f"queries-{c.id}.json"
            qf.write_text(json.dumps([q["question"] for _c, _qi, q, _e, _d in cq], ensure_ascii=False))
            t0 = time.perf_counter()
            p = subprocess.run([mira, "memory", "search", "--queries", str(qf), "--conversation", c.id,
                                "--limit", str(ITEMS), "--json", *extra], env=env, cwd=work, capture_output=True,
                               text=True)
            dt_ = time.perf_counter() - t0
            try:
                if p.returncode != 0:
                    raise ValueError(p.stderr[-1000:])
                answers = parse_json(p.stdout)
                if not isinstance(answers, list) or len(answers) != len(cq):
                    raise ValueError(f"expected a JSON array of {len(cq)} answers")
                t_total += dt_
                per = [dt_ / len(cq)] * len(cq)
                errs = [None] * len(cq)
            except (ValueError, json.JSONDecodeError) as e:
                print(f"warning: batch search failed for {c.id} ({e}); asking one question at a time",
                      file=sys.stderr)
                batch = False
                answers = None
        if answers is None:
            answers, per, errs = [], [], []
            for _c, _qi, q, _e, _d in cq:
                t0 = time.perf_counter()
                p = subprocess.run([mira, "memory", "search", "--conversation", c.id, "--limit", str(ITEMS),
                                    "--json", *extra, "--", q["question"]], env=env, cwd=work, capture_output=True,
                                   text=True)
                d = time.perf_counter() - t0
                t_total += d
                per.append(d)
                try:
                    if p.returncode != 0:
                        raise ValueError(f"exit {p.returncode}: {p.stderr[-500:]}")
                    answers.append(parse_json(p.stdout))
                    errs.append(None)
                except (ValueError, json.JSONDecodeError) as e:
                    answers.append({"items": []})
                    errs.append(str(e)[:500])
        for (cc, qi, q, ev, dropped), ans, secs, err in zip(cq, answers, per, errs):
            items = mira_items(ans, cc.id)[:ITEMS]
            c10 = cited(items)
            row = {
                "system": name, "conversation": cc.id, "q": qi, "category": q.get("category"),
                "question": q["question"], "answer": q.get("answer", q.get("adversarial_answer")),
                "evidence": ev, "evidence_dropped": dropped, "score": score(ev, c10),
                "cited": c10, "missed": [e for e in ev if e not in c10], "items": items,
                "seconds": round(secs, 4),
            }
            if err:
                row["error"] = err
            rows.append(row)
    print(f"mira: import {t_import:.1f} s for {len(by_conv)} conversations", file=sys.stderr)
    return rows, (t_total / len(qs) if qs else 0.0)


# ---------------------------------------------------------------- report


def summarise(name, rows, secs):
    cats = sorted({r["category"] for r in rows})
    mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")
    s = {
        "system": name, "n": len(rows),
        "score": mean([r["score"] for r in rows]),
        "score20": mean([r["score20"] for r in rows]) if rows and "score20" in rows[0] else None,
        "cats": {c: (sum(1 for r in rows if r["category"] == c), mean([r["score"] for r in rows if r["category"] == c]))
                 for c in cats},
        "secs": secs,
        "errors": sum(1 for r in rows if r.get("error")),
    }
    return s


def table(summaries, cats):
    head = ["system", "n", "@10 (cap 20)", "@20"] + [f"c{c} {CATEGORY_NAMES.get(c, '')}" for c in cats] + ["s/query"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for s in summaries:
        row = [s["system"], str(s["n"]), f"{s['score']:.3f}",
               f"{s['score20']:.3f}" if s["score20"] is not None else "-"]
        for c in cats:
            v = s["cats"].get(c)
            row.append(f"{v[1]:.3f}" if v else "-")
        row.append(f"{s['secs']:.4f}")
        if s["errors"]:
            row[0] += f" ({s['errors']} errors)"
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


EXPLORE = [
    # the baseline's tokenisation choices
    "", "tok=alnum", "tok=alnum+sw=nltk", "sw=nltk", "sw=lucene", "sw=none", "qsw", "idf=classic",
    "qtf=multi", "zero", "nocap", "b=0.5", "b=0.3",
    # cheap lexical variants, one at a time
    "speaker", "date", "poss", "qclean", "noname", "stem", "sstem", "rm3",
    "prev", "prev+cite1", "prevw=0.3", "prevw=0.3+cite1", "next", "next+cite1", "ctx", "ctx+cite1",
    "cprev", "cnext", "cprev+cnext", "win2", "win3", "win3+dedup", "win4+dedup", "win5+dedup",
    "rrf", "rrf+cprev", "rrf2+cprev", "prev+dedup",
    # combinations
    "stem+speaker", "stem+speaker+qclean", "stem+speaker+prev", "stem+speaker+prevw=0.5",
    "stem+speaker+prevw=0.3", "stem+speaker+prevw=0.3+cite1", "stem+speaker+prevw=0.3+cnext",
    "stem+speaker+prevw=0.5+cnext", "stem+speaker+prev+cnext", "stem+speaker+prevw=0.5+dedup",
    "stem+speaker+prevw=0.5+cnext+dedup", "stem+speaker+qclean+prevw=0.5", "stem+speaker+date+prevw=0.5",
    "stem+speaker+prevw=0.5+b=0.5", "stem+speaker+prevw=0.5+rm3", "stem+speaker+ctx+dedup",
    "stem+speaker+win2+dedup", "stem+speaker+win3+dedup", "stem+speaker+rrf2+cprev",
    "stem+speaker+rrf+cprev", "stem+speaker+rrf+cprev+cnext", "stem+speaker+noname+prev+cnext",
    "stem+speaker+date+prev+cnext", "stem+speaker+date+prevw=0.5+cnext", "stem+speaker+date+ctx+dedup",
    "stem+speaker+date+win3+dedup",
    # Mira's present turn recall (SQLite FTS5 emulation), then changes to it
    "fts5:", "fts5:ctx=0", "fts5:w=1/1/1", "fts5:date", "fts5:cprev", "fts5:cnext", "fts5:cprev+cnext",
    "fts5:w=1/1/0.5+cprev", "fts5:w=1/1/1+cprev", "fts5:w=1/1/0.5+cnext", "fts5:cnext+date",
    "fts5:w=1/1/0.5+cnext+date", "fts5:w=1/1/0.5/0.5+after=400+cprev+cnext",
    "fts5:w=1/1/0.5/0.5+after=400+cprev+cnext+date", "fts5:w=1/1/0.5/0.3+after=400+cnext+date",
    "fts5:w=1/1/1/1+after=400+cprev+cnext+date+dedup",
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=VARIANT_HELP)
    ap.add_argument("--data", required=True, help="locomo10_v2 folder of per-conversation files, or locomo10.json")
    ap.add_argument("--work", default="/tmp/bench-memory", help="work dir (results, Mira's data dir)")
    ap.add_argument("--systems", default="bm25-turns", help="comma list: bm25-turns[:VARIANT], fts5-turns[:OPTIONS], mira")
    ap.add_argument("--mira", help="path of the mira binary")
    ap.add_argument("--batch", action="store_true", help="one `mira memory search --queries FILE` per conversation")
    ap.add_argument("--candidates", type=int, help="passed to `mira memory search --candidates N` (turns scored per query)")
    ap.add_argument("--limit-conversations", type=int, default=0, help="only the first N conversations")
    ap.add_argument("--categories", default="all", help="QA categories counted, e.g. 1,2,3,4 (default: all)")
    ap.add_argument("--emit-transcripts", metavar="DIR", help="write the import files, one per conversation, and exit")
    ap.add_argument("--explore", action="store_true", help="run the bm25 variants of EXPLORE (adds to --systems)")
    ap.add_argument("--help-variants", action="store_true", help="print the bm25 variant flags")
    args = ap.parse_args()
    if args.help_variants:
        print(VARIANT_HELP)
        return

    convs = load(args.data)
    if args.limit_conversations:
        convs = convs[: args.limit_conversations]
    if args.emit_transcripts:
        d = Path(args.emit_transcripts)
        d.mkdir(parents=True, exist_ok=True)
        for c in convs:
            (d / f"{c.id}.json").write_text(json.dumps(transcript(c), ensure_ascii=False, indent=1))
        print(f"wrote {len(convs)} transcripts to {d}")
        return

    cats = None if args.categories in ("", "all") else {int(x) for x in args.categories.split(",")}
    qs, skipped = questions(convs, cats)
    dropped = sum(len(r[4]) for r in qs)
    print(f"{len(convs)} conversations, {sum(len(c.turns) for c in convs)} turns, {len(qs)} questions "
          f"(categories {args.categories}; {skipped} without usable evidence skipped, {dropped} evidence ids dropped)",
          file=sys.stderr)
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)

    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    if args.explore:
        for v in EXPLORE:
            name = ("fts5-turns" + (":" + v[5:] if v[5:] else "")) if v.startswith("fts5:") else \
                ("bm25-turns" + (":" + v if v else ""))
            if name not in systems:
                systems.append(name)
    summaries = []
    all_cats = sorted({r[2].get("category") for r in qs})
    for name in systems:
        base, _, spec = name.partition(":")
        t0 = time.perf_counter()
        if base == "bm25-turns":
            rows, secs = run_bm25(name, spec, convs, qs, work)
        elif base == "fts5-turns":
            rows, secs = run_bm25(name, spec, convs, qs, work, fts5=True)
        elif base == "mira":
            rows, secs = run_mira(name, args, convs, qs, work)
        else:
            raise SystemExit(f"unknown system {name!r}")
        fname = work / ("results-" + name.replace("/", "_") + ".jsonl")
        with open(fname, "w") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        s = summarise(name, rows, secs)
        summaries.append(s)
        print(f"{name}: {s['score']:.3f}" + (f" / {s['score20']:.3f}" if s["score20"] is not None else "")
              + f"  ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    out = table(summaries, all_cats)
    print(out)
    (work / "summary.md").write_text(out + "\n")


if __name__ == "__main__":
    main()
