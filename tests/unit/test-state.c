// SPDX-License-Identifier: GPL-2.0-or-later
#include <check.h>
#include <string.h>

#include "core/error.h"
#include "core/state.h"

#define NOW 1700000000000LL
#define LOCK 300000u

static void assert_state_eq(const RbState *a, const RbState *b)
{
	ck_assert_int_eq(a->has_owner, b->has_owner);
	if (a->has_owner) {
		ck_assert_str_eq(a->owner.addr, b->owner.addr);
		ck_assert_int_eq(a->owner.type, b->owner.type);
		ck_assert_int_eq(a->owner_key, b->owner_key);
		ck_assert_int_eq(a->owner_paired_wall_ms,
				 b->owner_paired_wall_ms);
	}
	ck_assert_uint_eq(a->pin_failures, b->pin_failures);
	ck_assert_int_eq(a->lockout_active, b->lockout_active);
	if (a->lockout_active) {
		ck_assert_int_eq(a->lockout_start_wall_ms,
				 b->lockout_start_wall_ms);
		ck_assert_str_eq(a->lockout_boot_id, b->lockout_boot_id);
		if (a->lockout_boot_id[0])
			ck_assert_uint_eq(a->lockout_start_boot_ms,
					  b->lockout_start_boot_ms);
	}
	ck_assert_int_eq(a->owner_unknown, b->owner_unknown);
	ck_assert_uint_eq(a->lockout_ms, b->lockout_ms);
	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++) {
		ck_assert_int_eq(a->overrides.has[i], b->overrides.has[i]);
		if (a->overrides.has[i])
			ck_assert_uint_eq(a->overrides.value[i],
					  b->overrides.value[i]);
	}
	ck_assert_int_eq(a->stale, b->stale);
}

static void assert_conservative(const RbState *st)
{
	ck_assert(!st->has_owner);
	ck_assert(st->lockout_active);
	ck_assert_int_eq(st->lockout_start_wall_ms, NOW);
	ck_assert_uint_eq(st->lockout_ms, LOCK);
	ck_assert_uint_eq(st->pin_failures, 0);
	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++)
		ck_assert(!st->overrides.has[i]);
	ck_assert_int_eq(st->stale, RB_STALE_NONE);
}

/* A state with everything set, to show that decode overwrites it. */
static void fill_garbage(RbState *st)
{
	memset(st, 0x5a, sizeof(*st));
	st->has_owner = true;
	st->lockout_active = false;
	st->stale = RB_STALE_PHONE_HAS_STALE_BOND;
	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++)
		st->overrides.has[i] = true;
	memcpy(st->owner.addr, "00:11:22:33:44:55", RB_ADDR_STRLEN);
}

START_TEST(test_init)
{
	RbState st;

	fill_garbage(&st);
	rb_state_init(&st);
	ck_assert(!st.has_owner);
	ck_assert(!st.lockout_active);
	ck_assert_uint_eq(st.pin_failures, 0);
	ck_assert_int_eq(st.stale, RB_STALE_NONE);
	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++)
		ck_assert(!st.overrides.has[i]);

	fill_garbage(&st);
	rb_state_init_conservative(&st, NOW, LOCK);
	assert_conservative(&st);
}
END_TEST

/* States to round-trip. */
typedef struct {
	const char *name;
	const char *addr; /* NULL: no owner */
	RbAddrType type;
	RbKeyType key;
	int64_t paired;
	uint32_t failures;
	bool lockout;
	int64_t lockout_start;
	uint32_t lockout_ms;
	bool has[RB_SETTING_COUNT];
	uint32_t value[RB_SETTING_COUNT];
	RbStaleHint stale;
	const char *boot; /* the lockout's boot id */
	uint64_t boot_ms;
	bool unknown; /* owner_unknown */
} RoundTripCase;

static const RoundTripCase round_trip_cases[] = {
	{.name = "empty"},
	{.name = "owner-public",
	 .addr = "AA:BB:CC:DD:EE:FF",
	 .type = RB_ADDR_PUBLIC,
	 .key = RB_KEY_AUTH_P256,
	 .paired = NOW},
	{.name = "owner-random-legacy",
	 .addr = "c0:01:02:03:04:05",
	 .type = RB_ADDR_RANDOM,
	 .key = RB_KEY_AUTH_LEGACY,
	 .paired = 0},
	{.name = "owner-unknown-key",
	 .addr = "C0:01:02:03:04:05",
	 .type = RB_ADDR_RANDOM,
	 .key = RB_KEY_UNKNOWN,
	 .paired = 1},
	{.name = "failures", .failures = 2, .lockout_ms = LOCK},
	{.name = "lockout",
	 .failures = 3,
	 .lockout = true,
	 .lockout_start = NOW - 1000,
	 .lockout_ms = 5000},
	{.name = "lockout-max",
	 .lockout = true,
	 .lockout_start = G_MAXINT64,
	 .lockout_ms = 86400000},
	{.name = "overrides-some",
	 .has = {false, true, false, false, true},
	 .value = {0, 10, 0, 0, 1}},
	{.name = "overrides-all",
	 .has = {true, true, true, true, true},
	 .value = {5000, 1, 86400000, 30000, 10}},
	{.name = "stale-box", .stale = RB_STALE_BOX_HAS_STALE_BOND},
	{.name = "owner-unknown",
	 .unknown = true,
	 .lockout = true,
	 .lockout_start = NOW,
	 .lockout_ms = LOCK},
	{.name = "everything",
	 .addr = "01:23:45:67:89:AB",
	 .type = RB_ADDR_PUBLIC,
	 .key = RB_KEY_AUTH_P256,
	 .paired = NOW,
	 .failures = 1,
	 .lockout = true,
	 .lockout_start = NOW,
	 .lockout_ms = 600000,
	 .boot = "0123abcd-0123-4567-89ab-0123456789ab",
	 .boot_ms = 42000,
	 .has = {true, false, true},
	 .value = {600000, 0, 9999},
	 .stale = RB_STALE_PHONE_HAS_STALE_BOND},
};

static void build(RbState *st, const RoundTripCase *tc)
{
	rb_state_init(st);
	if (tc->addr) {
		ck_assert(rb_peer_set(&st->owner, tc->addr, tc->type));
		st->has_owner = true;
		st->owner_key = tc->key;
		st->owner_paired_wall_ms = tc->paired;
	}
	st->pin_failures = tc->failures;
	st->lockout_active = tc->lockout;
	st->lockout_start_wall_ms = tc->lockout_start;
	st->lockout_ms = tc->lockout_ms;
	if (tc->boot)
		g_strlcpy(st->lockout_boot_id, tc->boot,
			  sizeof(st->lockout_boot_id));
	st->lockout_start_boot_ms = tc->boot_ms;
	st->owner_unknown = tc->unknown;
	memcpy(st->overrides.has, tc->has, sizeof(tc->has));
	memcpy(st->overrides.value, tc->value, sizeof(tc->value));
	st->stale = tc->stale;
}

START_TEST(test_round_trip)
{
	const RoundTripCase *tc = &round_trip_cases[_i];
	RbState st, back;
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	g_autofree char *again = NULL;
	gsize len = 0, len2 = 0;

	build(&st, tc);
	text = rb_state_encode(&st, &len);
	ck_assert_uint_eq(len, strlen(text));
	fill_garbage(&back);
	ck_assert_msg(rb_state_decode(&back, text, len, NOW, LOCK, &error),
		      "%s: %s\n%s", tc->name, error ? error->message : "",
		      text);
	assert_state_eq(&st, &back);
	/* Encoding is canonical: the same text again. */
	again = rb_state_encode(&back, &len2);
	ck_assert_str_eq(again, text);
}
END_TEST

START_TEST(test_encode_format)
{
	static const char want[] = "[State]\nVersion=2\n\n"
				   "[Owner]\nAddress=01:23:45:67:89:AB\n"
				   "AddressType=public\nKeyType=3\n"
				   "PairedAt=1700000000000\n\n"
				   "[Pin]\nFailures=1\n"
				   "LockoutStart=1700000000000\n"
				   "LockoutBoot=0123abcd-0123-4567-89ab-"
				   "0123456789ab\n"
				   "LockoutBootMs=42000\n"
				   "LockoutMs=600000\n\n"
				   "[Overrides]\nPairingTimeoutMs=600000\n"
				   "PinLockoutMs=9999\n\n"
				   "[Stale]\nHint=phone\n";
	static const char want_empty[] = "[State]\nVersion=2\n\n"
					 "[Pin]\nFailures=0\nLockoutMs=0\n\n"
					 "[Overrides]\n\n"
					 "[Stale]\nHint=none\n";
	RbState st;
	g_autofree char *text = NULL;
	g_autofree char *empty = NULL;

	build(&st, &round_trip_cases[G_N_ELEMENTS(round_trip_cases) - 1]);
	text = rb_state_encode(&st, NULL);
	ck_assert_str_eq(text, want);
	rb_state_init(&st);
	empty = rb_state_encode(&st, NULL);
	ck_assert_str_eq(empty, want_empty);
}
END_TEST

/* Hand-written files that decode. */
typedef struct {
	const char *name;
	const char *text;
	bool has_owner;
	bool lockout;
	uint32_t failures;
	RbStaleHint stale;
} ValidCase;

static const ValidCase valid_cases[] = {
	{"minimal",
	 "[State]\nVersion=1\n[Pin]\nFailures=0\n[Stale]\nHint=none\n", false,
	 false, 0, RB_STALE_NONE},
	{"comments-and-order",
	 "# reaction-boxd state\n[Stale]\nHint = box\n\n[Pin]\n"
	 "Failures=2\nLockoutMs=300000\n[State]\nVersion=1\n",
	 false, false, 2, RB_STALE_BOX_HAS_STALE_BOND},
	{"lowercase-address",
	 "[State]\nVersion=1\n[Owner]\nAddress=aa:bb:cc:dd:ee:ff\n"
	 "AddressType=random\nKeyType=3\nPairedAt=5\n[Pin]\nFailures=0\n"
	 "LockoutStart=10\nLockoutMs=5000\n[Overrides]\n[Stale]\n"
	 "Hint=phone\n",
	 true, true, 0, RB_STALE_PHONE_HAS_STALE_BOND},
};

START_TEST(test_decode_valid)
{
	const ValidCase *tc = &valid_cases[_i];
	RbState st;
	g_autoptr(GError) error = NULL;

	fill_garbage(&st);
	ck_assert_msg(rb_state_decode(&st, tc->text, strlen(tc->text), NOW,
				      LOCK, &error),
		      "%s: %s", tc->name, error ? error->message : "");
	ck_assert_int_eq(st.has_owner, tc->has_owner);
	ck_assert_int_eq(st.lockout_active, tc->lockout);
	ck_assert_uint_eq(st.pin_failures, tc->failures);
	ck_assert_int_eq(st.stale, tc->stale);
	if (tc->has_owner)
		ck_assert_str_eq(st.owner.addr, "AA:BB:CC:DD:EE:FF");
}
END_TEST

/* Corrupt files: each gives the conservative state. */
#define HEAD "[State]\nVersion=1\n"
#define PIN "[Pin]\nFailures=0\n"
#define STALE "[Stale]\nHint=none\n"
#define OWNER(a, t, k, p)                                                      \
	"[Owner]\nAddress=" a "\nAddressType=" t "\nKeyType=" k                \
	"\nPairedAt=" p "\n"

typedef struct {
	const char *name;
	const char *text;
	const char *message; /* a part of the error message */
} CorruptCase;

static const CorruptCase corrupt_cases[] = {
	{"empty", "", "empty"},
	{"whitespace", " \n\t\n", "empty"},
	{"garbage", "\x01\x02 not a key file", ""},
	{"no-group", "Version=1\n", ""},
	{"no-state", PIN STALE, "[State] is missing"},
	{"no-version", "[State]\n" PIN STALE, "Version is missing"},
	{"version-0", "[State]\nVersion=0\n" PIN STALE, "version 0"},
	{"version-3", "[State]\nVersion=3\n" PIN STALE, "version 3"},
	{"unknown-in-v1", "[State]\nVersion=1\nOwnerUnknown=true\n" PIN STALE,
	 "OwnerUnknown"},
	{"unknown-not-true", "[State]\nVersion=2\nOwnerUnknown=yes\n" PIN STALE,
	 "OwnerUnknown=yes"},
	{"unknown-with-owner",
	 "[State]\nVersion=2\nOwnerUnknown=true\n" OWNER(
		 "AA:BB:CC:DD:EE:FF", "public", "3", "0") PIN STALE,
	 "with an [Owner]"},
	{"boot-in-v1",
	 HEAD "[Pin]\nFailures=3\nLockoutStart=5\nLockoutMs=5000\n"
	      "LockoutBoot=0123abcd-0123-4567-89ab-0123456789ab\n"
	      "LockoutBootMs=1\n" STALE,
	 "not in version 1"},
	{"boot-without-ms",
	 "[State]\nVersion=2\n[Pin]\nFailures=3\nLockoutStart=5\n"
	 "LockoutMs=5000\nLockoutBoot=0123abcd-0123-4567-89ab-"
	 "0123456789ab\n" STALE,
	 "go together"},
	{"boot-bad",
	 "[State]\nVersion=2\n[Pin]\nFailures=3\nLockoutStart=5\n"
	 "LockoutMs=5000\nLockoutBoot=0123abcd\nLockoutBootMs=1\n" STALE,
	 "LockoutBoot=0123abcd"},
	{"boot-without-lockout",
	 "[State]\nVersion=2\n[Pin]\nFailures=3\nLockoutMs=5000\n"
	 "LockoutBoot=0123abcd-0123-4567-89ab-0123456789ab\n"
	 "LockoutBootMs=1\n" STALE,
	 "go together"},
	{"version-junk", "[State]\nVersion=1a\n" PIN STALE, "Version=1a"},
	{"version-twice", "[State]\nVersion=1\nVersion=1\n" PIN STALE, "twice"},
	{"state-extra-key", "[State]\nVersion=1\nFoo=1\n" PIN STALE,
	 "unknown key Foo"},
	{"unknown-group", HEAD PIN STALE "[Extra]\nA=1\n",
	 "unknown group [Extra]"},
	{"no-pin", HEAD STALE, "[Pin] is missing"},
	{"no-stale", HEAD PIN, "[Stale] is missing"},
	{"truncated-stale", HEAD PIN "[Stale]\nHint=no", "Hint=no"},
	{"truncated-header", HEAD PIN "[Sta", ""},
	{"stale-empty", HEAD PIN "[Stale]\n", "Hint is missing"},
	{"stale-bad", HEAD PIN "[Stale]\nHint=maybe\n", "Hint=maybe"},
	{"stale-extra", HEAD PIN "[Stale]\nHint=none\nX=1\n", "unknown key"},
	{"owner-bad-address",
	 HEAD OWNER("AA:BB:CC:DD:EE", "public", "3", "0") PIN STALE,
	 "Address=AA:BB:CC:DD:EE"},
	{"owner-bad-hex",
	 HEAD OWNER("AA:BB:CC:DD:EE:GG", "public", "3", "0") PIN STALE,
	 "Address"},
	{"owner-bad-type",
	 HEAD OWNER("AA:BB:CC:DD:EE:FF", "static", "3", "0") PIN STALE,
	 "AddressType=static"},
	{"owner-key-5",
	 HEAD OWNER("AA:BB:CC:DD:EE:FF", "public", "5", "0") PIN STALE,
	 "KeyType=5"},
	{"owner-key-256",
	 HEAD OWNER("AA:BB:CC:DD:EE:FF", "public", "256", "0") PIN STALE,
	 "KeyType=256"},
	{"owner-key-neg",
	 HEAD OWNER("AA:BB:CC:DD:EE:FF", "public", "-1", "0") PIN STALE,
	 "KeyType=-1"},
	{"owner-paired-junk",
	 HEAD OWNER("AA:BB:CC:DD:EE:FF", "public", "3", "12x") PIN STALE,
	 "PairedAt=12x"},
	{"owner-paired-overflow",
	 HEAD OWNER("AA:BB:CC:DD:EE:FF", "public", "3", "9223372036854775808")
		 PIN STALE,
	 "PairedAt"},
	{"owner-missing-key",
	 HEAD "[Owner]\nAddress=AA:BB:CC:DD:EE:FF\nAddressType=public\n"
	      "PairedAt=0\n" PIN STALE,
	 "KeyType is missing"},
	{"owner-missing-address",
	 HEAD "[Owner]\nAddressType=public\nKeyType=3\nPairedAt=0\n" PIN STALE,
	 "Address is missing"},
	{"owner-empty", HEAD "[Owner]\n" PIN STALE, "missing"},
	{"owner-extra",
	 HEAD OWNER("AA:BB:CC:DD:EE:FF", "public", "3",
		    "0") "Name=phone\n" PIN STALE,
	 "unknown key Name"},
	{"owner-duplicate",
	 HEAD OWNER("AA:BB:CC:DD:EE:FF", "public", "3",
		    "0") "Address=11:22:33:44:55:66\n" PIN STALE,
	 "twice"},
	{"pin-no-failures", HEAD "[Pin]\nLockoutMs=0\n" STALE,
	 "Failures is missing"},
	{"pin-failures-neg", HEAD "[Pin]\nFailures=-1\n" STALE, "Failures=-1"},
	{"pin-failures-big", HEAD "[Pin]\nFailures=4294967296\n" STALE,
	 "Failures=4294967296"},
	{"pin-failures-empty", HEAD "[Pin]\nFailures=\n" STALE, "Failures="},
	{"pin-failures-space", HEAD "[Pin]\nFailures=1 2\n" STALE,
	 "Failures=1 2"},
	{"pin-start-without-ms",
	 HEAD "[Pin]\nFailures=0\nLockoutStart=5\n" STALE,
	 "LockoutMs is missing"},
	{"pin-lockout-short",
	 HEAD "[Pin]\nFailures=0\nLockoutStart=5\nLockoutMs=4999\n" STALE,
	 "LockoutMs=4999"},
	{"pin-lockout-long",
	 HEAD "[Pin]\nFailures=0\nLockoutStart=5\nLockoutMs=86400001\n" STALE,
	 "LockoutMs=86400001"},
	{"pin-lockout-zero",
	 HEAD "[Pin]\nFailures=0\nLockoutStart=5\nLockoutMs=0\n" STALE,
	 "LockoutMs=0"},
	{"pin-start-junk",
	 HEAD "[Pin]\nFailures=0\nLockoutStart=now\nLockoutMs=5000\n" STALE,
	 "LockoutStart=now"},
	{"pin-extra", HEAD "[Pin]\nFailures=0\nLocked=true\n" STALE,
	 "unknown key Locked"},
	{"override-low", HEAD PIN "[Overrides]\nPinFailureLimit=0\n" STALE,
	 "PinFailureLimit=0"},
	{"override-high", HEAD PIN "[Overrides]\nPinLockoutMs=86400001\n" STALE,
	 "PinLockoutMs=86400001"},
	{"override-timeout-low",
	 HEAD PIN "[Overrides]\nPairingTimeoutMs=4999\n" STALE,
	 "PairingTimeoutMs"},
	{"override-window-high",
	 HEAD PIN "[Overrides]\nStaleBondWindowMs=30001\n" STALE,
	 "StaleBondWindowMs"},
	{"override-strikes-junk",
	 HEAD PIN "[Overrides]\nStaleBondStrikes=two\n" STALE,
	 "StaleBondStrikes"},
	{"override-unknown",
	 HEAD PIN "[Overrides]\nAllowLegacyKeys=true\n" STALE,
	 "unknown key AllowLegacyKeys"},
	{"override-duplicate",
	 HEAD PIN "[Overrides]\nPinFailureLimit=3\nPinFailureLimit=4\n" STALE,
	 "twice"},
	{"nul-byte", HEAD PIN STALE "\0", "NUL"},
};

START_TEST(test_corrupt)
{
	const CorruptCase *tc = &corrupt_cases[_i];
	RbState st;
	g_autoptr(GError) error = NULL;
	gsize len = strlen(tc->text);

	if (strcmp(tc->name, "nul-byte") == 0)
		len += 1;
	fill_garbage(&st);
	ck_assert_msg(!rb_state_decode(&st, tc->text, len, NOW, LOCK, &error),
		      "%s decoded", tc->name);
	ck_assert_ptr_nonnull(error);
	ck_assert_msg(error->domain == RB_ERROR &&
			      error->code == RB_ERROR_CORRUPT,
		      "%s: code %d", tc->name, error->code);
	ck_assert_msg(strstr(error->message, tc->message) != NULL,
		      "%s: \"%s\" lacks \"%s\"", tc->name, error->message,
		      tc->message);
	assert_conservative(&st);
}
END_TEST

/* Every prefix of a full encoding that is cut inside a line is corrupt. */
START_TEST(test_truncated)
{
	RbState st, back;
	g_autofree char *text = NULL;
	gsize len = 0;
	unsigned int corrupt = 0;

	build(&st, &round_trip_cases[G_N_ELEMENTS(round_trip_cases) - 1]);
	text = rb_state_encode(&st, &len);
	for (gsize cut = 0; cut < len; cut++) {
		g_autoptr(GError) error = NULL;
		bool ok = rb_state_decode(&back, text, cut, NOW, LOCK, &error);

		if (ok) {
			/* Only a cut that loses nothing but the last newline
			 * may decode, and then it is the same state. */
			ck_assert_uint_eq(cut, len - 1);
			assert_state_eq(&st, &back);
		} else {
			assert_conservative(&back);
			corrupt++;
		}
	}
	ck_assert_uint_ge(corrupt, len - 1);
}
END_TEST

static Suite *state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc;

	tc = tcase_create("/state/init");
	tcase_add_test(tc, test_init);
	suite_add_tcase(s, tc);
	tc = tcase_create("/state/round-trip");
	tcase_add_loop_test(tc, test_round_trip, 0,
			    (int)G_N_ELEMENTS(round_trip_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("/state/encode/format");
	tcase_add_test(tc, test_encode_format);
	suite_add_tcase(s, tc);
	tc = tcase_create("/state/decode/valid");
	tcase_add_loop_test(tc, test_decode_valid, 0,
			    (int)G_N_ELEMENTS(valid_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("/state/decode/corrupt");
	tcase_add_loop_test(tc, test_corrupt, 0,
			    (int)G_N_ELEMENTS(corrupt_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("/state/decode/truncated");
	tcase_add_test(tc, test_truncated);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(state_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
