"""model.py — the soak test's log and its oracle (tests/soak/soak.py).

The log is generated here, message by message, from a seeded random
generator; every message is kept in a compact form (an "op" tuple) from
which both its JSON (what is published) and its changesets (what the
oracle applies) are derived. The oracle is independent of the engine: plain
Python sets of facts, spelled as polar_facts spells them, with Oso's batch
semantics (changesets in order, deletes with null as a wildcard, all or
nothing) and a hand-written model of the policy (Model.allow).

Units (K facts each plus one relation), which keep the readers'
invariants at every message boundary (tests/soak/reader.py):
  slot s, version v   K x has_role(User:s<s>m<j>, member|admin, Org:s<s>v<v>)
                      + has_relation(Repo:s<s>r, "parent", Org:s<s>v<v>);
                      one message replaces version v by v+1 (odd versions
                      member, even versions admin)
  group g             K x has_role(User:g<g>m<j>, role, Org:g<g>)
                      + has_relation(Repo:g<g>r, "parent", Org:g<g>);
                      created by one message, dropped by another with
                      wildcard deletes
Other messages: policy variants A/B, refused messages (bad JSON, unknown
predicate, a batch whose second changeset is invalid, an unknown type, an
id over 384 bytes, a policy that does not compile, an unknown object:
each carries "poison" facts that must never be seen), padding (deletes of
long random ids that match nothing: moves the mock broker's log start).
"""
import json
import os
import random

K = 5
SLOTS = 200
HERE = os.path.dirname(os.path.abspath(__file__))
POLICY_A = open(os.path.join(HERE, 'policy.polar')).read()
POLICY_B = POLICY_A.replace('  "write" if "maintainer";\n',
                            '  "write" if "maintainer";\n  "audit" if "maintainer";\n')
assert POLICY_A != POLICY_B
BAD_KINDS = ('notjson', 'unknown_pred', 'half', 'badtype', 'longid', 'badpolicy', 'object')


def slot_role(v):
    return 'member' if v % 2 == 1 else 'admin'


def group_role(g):
    return 'member' if g % 3 else 'admin'


def slot_facts(s, v):
    org = 'Org:s%dv%d' % (s, v)
    return ([('has_role', 'User:s%dm%d' % (s, j), slot_role(v), org) for j in range(K)]
            + [('has_relation', 'Repo:s%dr' % s, 'parent', org)])


def group_facts(g):
    org = 'Org:g%d' % g
    return ([('has_role', 'User:g%dm%d' % (g, j), group_role(g), org) for j in range(K)]
            + [('has_relation', 'Repo:g%dr' % g, 'parent', org)])


def group_patterns(g):
    return [('has_role', None, None, 'Org:g%d' % g), ('has_relation', 'Repo:g%dr' % g, None, None)]


def pad_patterns(seed):
    rnd = random.Random(seed)
    return [('has_role', 'User:pad%0300x' % rnd.getrandbits(1200), None, None) for _ in range(100)]


POISON = [('has_role', 'User:poison', 'member', 'Org:poison'),
          ('has_relation', 'Repo:poison', 'parent', 'Org:poison')]


def changesets(op):
    """The changesets of a batch op: a list of ('ins'|'del', [fact or pattern])."""
    kind = op[0]
    if kind == 'slot':
        _, s, v, flip = op
        cs = [('ins', slot_facts(s, v))]
        if v > 1:
            cs.append(('del', slot_facts(s, v - 1)))
            if not flip:
                cs.reverse()
        return cs
    if kind == 'grow':
        return [('ins', group_facts(op[1]))]
    if kind == 'drop':
        return [('del', group_patterns(op[1]))]
    if kind == 'multi':
        return [c for sub in op[1] for c in changesets(sub)]
    if kind == 'pad':
        return [('del', pad_patterns(op[1]))]
    raise ValueError(op)


def arg_json(v):
    if v is None:
        return {'type': None, 'id': None}
    t, sep, i = v.partition(':')
    if sep and t in ('User', 'Org', 'Repo'):
        return {'type': t, 'id': i}
    return {'type': 'String', 'id': v}


def fact_json(f):
    return {'predicate': f[0], 'args': [arg_json(a) for a in f[1:]]}


def message(op):
    """The log message (one line of JSON) of an op."""
    kind = op[0]
    if kind == 'policy':
        src = POLICY_A if op[1] == 'A' else POLICY_B
        return json.dumps({'policy': {'src': src, 'filename': 'soak-%s.polar' % op[1]}})
    if kind == 'bad':
        return bad_message(op[1])
    body = [{'inserts' if c == 'ins' else 'deletes': [fact_json(f) for f in facts]}
            for c, facts in changesets(op)]
    return json.dumps(body, separators=(',', ':'))


def bad_message(kind):
    poison = [fact_json(f) for f in POISON]
    if kind == 'notjson':
        return '[{"inserts": [' + json.dumps(poison)
    if kind == 'unknown_pred':
        return json.dumps([{'inserts': poison + [{'predicate': 'no_such',
                                                 'args': [{'type': 'User', 'id': 'poison'}]}]}])
    if kind == 'half':
        return json.dumps([{'inserts': poison},
                           {'inserts': [{'predicate': 'has_role',
                                         'args': [{'type': 'User', 'id': 'poison'}]}]}])
    if kind == 'badtype':
        bad = fact_json(('has_role', 'User:poison', 'member', 'Org:poison'))
        bad['args'][2]['type'] = 'Nope'
        return json.dumps([{'inserts': poison + [bad]}])
    if kind == 'longid':
        return json.dumps([{'inserts': poison + [fact_json(
            ('has_role', 'User:' + 'x' * 400, 'member', 'Org:poison'))]}])
    if kind == 'badpolicy':
        return json.dumps({'policy': {'src': POLICY_A.replace('"read" if "member";',
                                                              '"read" if "nope";'),
                                      'filename': 'broken.polar'}})
    if kind == 'object':
        return json.dumps({'facts': poison})
    raise ValueError(kind)


def matches(pattern, fact):
    return all(p is None or p == f for p, f in zip(pattern, fact))


class State:
    """The oracle's database: facts, policy version, totals, rejected offsets."""

    def __init__(self):
        self.facts = set()
        self.by_org = {}            # a3 -> facts (wildcard deletes, allow)
        self.by_a1 = {}             # a1 -> facts (wildcard deletes)
        self.policy_version = 0
        self.variant = None
        self.messages = 0           # applied (not refused) messages
        self.changed = 0            # facts changed, as polar_batch counts them
        self.rejected = set()       # offsets of refused messages
        self.offset = -1            # last message applied

    def copy(self):
        c = State()
        c.facts = set(self.facts)
        c.by_org = {k: set(v) for k, v in self.by_org.items()}
        c.by_a1 = {k: set(v) for k, v in self.by_a1.items()}
        for a in ('policy_version', 'variant', 'messages', 'changed', 'offset'):
            setattr(c, a, getattr(self, a))
        c.rejected = set(self.rejected)
        return c

    def _add(self, f):
        if f in self.facts:
            return 0
        self.facts.add(f)
        self.by_org.setdefault(f[3], set()).add(f)
        self.by_a1.setdefault(f[1], set()).add(f)
        return 1

    def _remove(self, f):
        self.facts.discard(f)
        for index, key in ((self.by_org, f[3]), (self.by_a1, f[1])):
            s = index.get(key)
            if s is not None:
                s.discard(f)
                if not s:
                    del index[key]

    def _delete(self, pattern):
        if None not in pattern:
            if pattern in self.facts:
                self._remove(pattern)
                return 1
            return 0
        if pattern[1] is not None:
            pool = self.by_a1.get(pattern[1], ())
        elif pattern[3] is not None:
            pool = self.by_org.get(pattern[3], ())
        else:
            pool = self.facts
        hit = [f for f in pool if matches(pattern, f)]
        for f in hit:
            self._remove(f)
        return len(hit)

    def apply(self, offset, op):
        """Apply the message at offset; returns facts changed (None if refused)."""
        self.offset = offset
        kind = op[0]
        if kind == 'bad':
            self.rejected.add(offset)
            return None
        self.messages += 1
        if kind == 'policy':
            self.policy_version += 1
            self.variant = op[1]
            return 0
        n = 0
        for c, facts in changesets(op):
            for f in facts:
                n += self._add(f) if c == 'ins' else self._delete(f)
        self.changed += n
        return n

    def allow(self, actor, action, resource, parents):
        """The policy, by hand (policy.polar; variant B adds Repo "audit").
        parents: repository -> its parent orgs (relations(), built once)."""
        def roles(org):
            rs = {f[2] for f in self.by_org.get(org, ()) if f[0] == 'has_role' and f[1] == actor}
            if 'admin' in rs:
                rs.add('member')
            return rs
        if resource.startswith('Org:'):
            rs = roles(resource)
            return int((action == 'read' and 'member' in rs) or (action == 'write' and 'admin' in rs))
        if resource.startswith('Repo:'):
            rs = set()
            for org in parents.get(resource, ()):
                rs |= roles(org)
            if action == 'read':
                return int('member' in rs)
            if action == 'write':
                return int('admin' in rs)
            if action == 'audit':
                return int('admin' in rs and self.variant == 'B')
        return 0

    def relations(self):
        """Repository -> its parent orgs, for allow()."""
        parents = {}
        for f in self.facts:
            if f[0] == 'has_relation':
                parents.setdefault(f[1], []).append(f[3])
        return parents


class Log:
    """Every message published, in offset order, and the oracle state at
    any offset (replayed from the nearest checkpoint at or below it)."""

    CHECKPOINT_EVERY = 10000     # a copy of the state every this many messages,
    CHECKPOINTS_KEPT = 8         # the latest few (restores go back minutes, not hours)

    def __init__(self):
        self.ops = []
        self.checkpoints = {}       # offset -> State after it (copies)
        self._cur = State()

    def append(self, op):
        self.ops.append(op)
        return len(self.ops) - 1

    def state_at(self, offset):
        """The oracle's database after the message at offset (-1: empty)."""
        cur = self._cur
        if cur.offset > offset:
            base = max([o for o in self.checkpoints if o <= offset], default=None)
            cur = self.checkpoints[base].copy() if base is not None else State()
        while cur.offset < offset:
            o = cur.offset + 1
            cur.apply(o, self.ops[o])
            if o % self.CHECKPOINT_EVERY == 0 and o not in self.checkpoints:
                self.checkpoints[o] = cur.copy()
                if len(self.checkpoints) > self.CHECKPOINTS_KEPT:
                    del self.checkpoints[min(self.checkpoints)]
        self._cur = cur
        return cur


class Generator:
    """The log's messages, one op at a time (seeded)."""

    def __init__(self, seed):
        self.rnd = random.Random(seed)
        self.slot_version = [0] * SLOTS
        self.next_group = 0
        self.live = []              # live group ids (random choice + swap remove)
        self.n = 0
        self.variant = 'A'

    def policy(self):
        self.n += 1
        return ('policy', self.variant)

    def slot(self, s=None):
        s = self.rnd.randrange(SLOTS) if s is None else s
        self.slot_version[s] += 1
        return ('slot', s, self.slot_version[s], self.rnd.random() < 0.5)

    def grow(self):
        g = self.next_group
        self.next_group += 1
        self.live.append(g)
        return ('grow', g)

    def drop(self):
        i = self.rnd.randrange(len(self.live))
        self.live[i], self.live[-1] = self.live[-1], self.live[i]
        return ('drop', self.live.pop())

    def pad(self):
        self.n += 1
        return ('pad', self.rnd.getrandbits(32))

    def preload(self, groups):
        """Policy, every slot at version 1, then `groups` groups."""
        yield self.policy()
        for s in range(SLOTS):
            self.n += 1
            yield self.slot(s)
        for _ in range(groups):
            self.n += 1
            yield self.grow()

    def next(self, target_groups):
        """One steady-state message; the number of live groups hovers
        around target_groups."""
        self.n += 1
        r = self.rnd.random()
        if self.n % 3001 == 0:
            self.variant = 'B' if self.variant == 'A' else 'A'
            return ('policy', self.variant)
        if self.n % 499 == 0:
            return ('bad', BAD_KINDS[(self.n // 499) % len(BAD_KINDS)])
        if r < 0.03:
            return self._multi(target_groups)
        if r < 0.5:
            return self.slot()
        return self._grow_or_drop(target_groups)

    def _grow_or_drop(self, target_groups):
        grow_p = 0.5 + 0.4 * (target_groups - len(self.live)) / max(target_groups, 1)
        if not self.live or self.rnd.random() < grow_p:
            return self.grow()
        return self.drop()

    def _multi(self, target_groups):
        """Several units in one message (one batch: all or nothing)."""
        subs, used = [], set()
        for _ in range(self.rnd.randint(5, 40)):
            if self.rnd.random() < 0.5:
                s = self.rnd.randrange(SLOTS)
                if s in used:
                    continue
                used.add(s)
                subs.append(self.slot(s))
            else:
                subs.append(self._grow_or_drop(target_groups))
        return ('multi', subs)
