// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Who may call what on org.reactionbox.Box1 (src/core/api.c): every
 * method against every kind of caller, checked against the rules as
 * documented there and in src/api/org.reactionbox.Box1.xml:
 *   properties, RegisterApplication   root, or a member of the group
 *   Notify, SetState,
 *   UnregisterApplication             the registered application only
 *   admin methods                     root only
 *   one application at a time
 */
#include <check.h>
#include <string.h>

#include "core/api.h"

static const RbApiMethod methods[] = {
	RB_API_GET_PROPERTIES, RB_API_REGISTER,	    RB_API_UNREGISTER,
	RB_API_NOTIFY,	       RB_API_SET_STATE,    RB_API_EXIT_PAIRING,
	RB_API_ENTER_PAIRING,  RB_API_FORGET_OWNER, RB_API_FACTORY_RESET,
};
#define N_METHODS (sizeof(methods) / sizeof(methods[0]))

static const uint32_t uids[] = {0, 1000};
#define N_UIDS (sizeof(uids) / sizeof(uids[0]))

/* One row per (method, uid, in_group, is_application,
 * application_registered): the loop index encodes them. */
#define N_ROWS (N_METHODS * N_UIDS * 2 * 2 * 2)

static void row(int i, RbApiMethod *m, RbApiCaller *c)
{
	unsigned int k = (unsigned int)i;

	memset(c, 0, sizeof(*c));
	c->application_registered = k & 1;
	k >>= 1;
	c->is_application = k & 1;
	k >>= 1;
	c->in_group = k & 1;
	k >>= 1;
	c->uid = uids[k % N_UIDS];
	k /= N_UIDS;
	*m = methods[k];
}

/* The rules, written out independently of api.c's switch. */
static RbApiVerdict expected(RbApiMethod m, const RbApiCaller *c)
{
	bool root = c->uid == 0;
	bool member = root || c->in_group;

	switch (m) {
	case RB_API_GET_PROPERTIES:
		return member ? RB_API_ALLOW : RB_API_DENY_NOT_IN_GROUP;
	case RB_API_REGISTER:
		if (!member)
			return RB_API_DENY_NOT_IN_GROUP;
		/* a second application, whoever asks (root and the
		 * registered one too) */
		if (c->application_registered)
			return RB_API_DENY_ALREADY_REGISTERED;
		return RB_API_ALLOW;
	case RB_API_UNREGISTER:
	case RB_API_NOTIFY:
	case RB_API_SET_STATE:
		/* the bus policy lets only root and the group send these;
		 * then only the registered application, root or not */
		if (!member)
			return RB_API_DENY_NOT_IN_GROUP;
		return c->is_application ? RB_API_ALLOW
					 : RB_API_DENY_NOT_APPLICATION;
	case RB_API_EXIT_PAIRING:
	case RB_API_ENTER_PAIRING:
	case RB_API_FORGET_OWNER:
	case RB_API_FACTORY_RESET:
		/* the group and the application are nothing here */
		return root ? RB_API_ALLOW : RB_API_DENY_ROOT_ONLY;
	}
	ck_abort_msg("method %d not in the table", m);
	return RB_API_ALLOW;
}

START_TEST(test_authorize)
{
	RbApiMethod m;
	RbApiCaller c;
	RbApiVerdict want, got;

	row(_i, &m, &c);
	want = expected(m, &c);
	got = rb_api_authorize(m, &c);
	ck_assert_msg(got == want,
		      "%s uid %u in_group %d is_application %d "
		      "registered %d: got \"%s\", want \"%s\"",
		      rb_api_method_name(m), c.uid, c.in_group,
		      c.is_application, c.application_registered,
		      rb_api_verdict_text(got), rb_api_verdict_text(want));
}
END_TEST

/* The same rules from the other side: a few callers that matter, each
 * with the methods it may call. */
START_TEST(test_callers)
{
	const RbApiCaller stranger = {.uid = 1000};
	const RbApiCaller member = {.uid = 1000, .in_group = true};
	const RbApiCaller app = {.uid = 1000,
				 .in_group = true,
				 .is_application = true,
				 .application_registered = true};
	const RbApiCaller root_not_app = {.uid = 0,
					  .application_registered = true};

	for (unsigned int i = 0; i < N_METHODS; i++) {
		RbApiMethod m = methods[i];
		bool admin = m >= RB_API_EXIT_PAIRING;

		/* nobody outside the group gets anything */
		ck_assert_int_ne(rb_api_authorize(m, &stranger), RB_API_ALLOW);
		/* only root calls the admin methods */
		if (admin) {
			ck_assert_int_eq(rb_api_authorize(m, &member),
					 RB_API_DENY_ROOT_ONLY);
			ck_assert_int_eq(rb_api_authorize(m, &app),
					 RB_API_DENY_ROOT_ONLY);
			ck_assert_int_eq(rb_api_authorize(m, &root_not_app),
					 RB_API_ALLOW);
		}
	}
	/* a member reads and registers, and nothing else */
	ck_assert_int_eq(rb_api_authorize(RB_API_GET_PROPERTIES, &member),
			 RB_API_ALLOW);
	ck_assert_int_eq(rb_api_authorize(RB_API_REGISTER, &member),
			 RB_API_ALLOW);
	ck_assert_int_eq(rb_api_authorize(RB_API_NOTIFY, &member),
			 RB_API_DENY_NOT_APPLICATION);
	/* the application sends, and may not register twice */
	ck_assert_int_eq(rb_api_authorize(RB_API_NOTIFY, &app), RB_API_ALLOW);
	ck_assert_int_eq(rb_api_authorize(RB_API_SET_STATE, &app),
			 RB_API_ALLOW);
	ck_assert_int_eq(rb_api_authorize(RB_API_UNREGISTER, &app),
			 RB_API_ALLOW);
	ck_assert_int_eq(rb_api_authorize(RB_API_REGISTER, &app),
			 RB_API_DENY_ALREADY_REGISTERED);
	/* root is not the application: it cannot speak for it */
	ck_assert_int_eq(rb_api_authorize(RB_API_NOTIFY, &root_not_app),
			 RB_API_DENY_NOT_APPLICATION);
	ck_assert_int_eq(rb_api_authorize(RB_API_SET_STATE, &root_not_app),
			 RB_API_DENY_NOT_APPLICATION);
	ck_assert_int_eq(rb_api_authorize(RB_API_UNREGISTER, &root_not_app),
			 RB_API_DENY_NOT_APPLICATION);
	ck_assert_int_eq(rb_api_authorize(RB_API_REGISTER, &root_not_app),
			 RB_API_DENY_ALREADY_REGISTERED);
	ck_assert_int_eq(rb_api_authorize(RB_API_GET_PROPERTIES, &stranger),
			 RB_API_DENY_NOT_IN_GROUP);
}
END_TEST

/* An unknown method is refused (to root too). */
START_TEST(test_unknown_method)
{
	const RbApiCaller root = {.uid = 0,
				  .in_group = true,
				  .is_application = true,
				  .application_registered = true};

	ck_assert_int_ne(
		rb_api_authorize((RbApiMethod)RB_API_METHOD_COUNT, &root),
		RB_API_ALLOW);
	ck_assert_int_ne(rb_api_authorize((RbApiMethod)-1, &root),
			 RB_API_ALLOW);
}
END_TEST

/* The D-Bus member names, as the interface XML spells them. */
static const struct {
	RbApiMethod m;
	const char *name;
} names[] = {
	{RB_API_GET_PROPERTIES, "Get"},
	{RB_API_REGISTER, "RegisterApplication"},
	{RB_API_UNREGISTER, "UnregisterApplication"},
	{RB_API_NOTIFY, "Notify"},
	{RB_API_SET_STATE, "SetState"},
	{RB_API_EXIT_PAIRING, "ExitPairingMode"},
	{RB_API_ENTER_PAIRING, "EnterPairingMode"},
	{RB_API_FORGET_OWNER, "ForgetOwner"},
	{RB_API_FACTORY_RESET, "FactoryReset"},
};

START_TEST(test_method_names)
{
	ck_assert_uint_eq(N_METHODS, RB_API_METHOD_COUNT);
	ck_assert_uint_eq(sizeof(names) / sizeof(names[0]),
			  RB_API_METHOD_COUNT);
	/* the enum is dense from 0: the table covers every value */
	for (unsigned int i = 0; i < RB_API_METHOD_COUNT; i++) {
		ck_assert_int_eq(methods[i], (RbApiMethod)i);
		ck_assert_int_eq(names[i].m, (RbApiMethod)i);
		ck_assert_str_eq(rb_api_method_name(names[i].m), names[i].name);
	}
	ck_assert_str_eq(rb_api_method_name((RbApiMethod)RB_API_METHOD_COUNT),
			 "unknown");
	ck_assert_str_eq(rb_api_method_name((RbApiMethod)-1), "unknown");
}
END_TEST

static const struct {
	RbApiVerdict v;
	const char *text;
} texts[] = {
	{RB_API_ALLOW, "allowed"},
	{RB_API_DENY_ROOT_ONLY, "only root may call this"},
	{RB_API_DENY_NOT_IN_GROUP,
	 "only root and members of the API group may call this"},
	{RB_API_DENY_NOT_APPLICATION,
	 "only the registered application may call this"},
	{RB_API_DENY_ALREADY_REGISTERED,
	 "an application is already registered"},
};
#define N_VERDICTS (sizeof(texts) / sizeof(texts[0]))

START_TEST(test_verdict_texts)
{
	for (unsigned int i = 0; i < N_VERDICTS; i++) {
		ck_assert_int_eq(texts[i].v, (RbApiVerdict)i);
		ck_assert_str_eq(rb_api_verdict_text(texts[i].v),
				 texts[i].text);
		/* each says something different */
		for (unsigned int j = 0; j < i; j++)
			ck_assert_str_ne(rb_api_verdict_text(texts[i].v),
					 rb_api_verdict_text(texts[j].v));
	}
	ck_assert_str_eq(rb_api_verdict_text((RbApiVerdict)N_VERDICTS),
			 "denied");
	ck_assert_str_eq(rb_api_verdict_text((RbApiVerdict)-1), "denied");
}
END_TEST

/* Every verdict but "unknown" is reachable from some row of the table. */
START_TEST(test_every_verdict_reached)
{
	bool seen[N_VERDICTS] = {false};

	for (int i = 0; i < (int)N_ROWS; i++) {
		RbApiMethod m;
		RbApiCaller c;
		RbApiVerdict v;

		row(i, &m, &c);
		v = rb_api_authorize(m, &c);
		ck_assert_uint_lt((unsigned int)v, N_VERDICTS);
		seen[v] = true;
	}
	for (unsigned int i = 0; i < N_VERDICTS; i++)
		ck_assert_msg(seen[i], "verdict \"%s\" never given",
			      rb_api_verdict_text((RbApiVerdict)i));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("api-rules");
	TCase *tc;

	tc = tcase_create("/api/authorize");
	tcase_add_loop_test(tc, test_authorize, 0, (int)N_ROWS);
	tcase_add_test(tc, test_callers);
	tcase_add_test(tc, test_unknown_method);
	tcase_add_test(tc, test_every_verdict_reached);
	suite_add_tcase(s, tc);

	tc = tcase_create("/api/names");
	tcase_add_test(tc, test_method_names);
	tcase_add_test(tc, test_verdict_texts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
