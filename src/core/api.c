// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Who may call what on the D-Bus API. See api.h and reaction-boxd-dbus(7):
 *   properties, RegisterApplication   root, or a member of the group
 *   Notify, SetState,
 *   UnregisterApplication             the registered application only
 *   admin methods                     root only
 * One application at a time: a second registration is refused while the
 * first one's bus name lives (the glue forgets it when the name goes).
 */
#include "core/api.h"

const char *rb_api_method_name(RbApiMethod m)
{
	switch (m) {
	case RB_API_GET_PROPERTIES:
		return "Get";
	case RB_API_REGISTER:
		return "RegisterApplication";
	case RB_API_UNREGISTER:
		return "UnregisterApplication";
	case RB_API_NOTIFY:
		return "Notify";
	case RB_API_SET_STATE:
		return "SetState";
	case RB_API_EXIT_PAIRING:
		return "ExitPairingMode";
	case RB_API_ENTER_PAIRING:
		return "EnterPairingMode";
	case RB_API_FORGET_OWNER:
		return "ForgetOwner";
	case RB_API_FACTORY_RESET:
		return "FactoryReset";
	}
	return "unknown";
}

RbApiVerdict rb_api_authorize(RbApiMethod m, const RbApiCaller *c)
{
	bool root = c->uid == 0;

	switch (m) {
	case RB_API_GET_PROPERTIES:
		return root || c->in_group ? RB_API_ALLOW
					   : RB_API_DENY_NOT_IN_GROUP;
	case RB_API_REGISTER:
		if (!root && !c->in_group)
			return RB_API_DENY_NOT_IN_GROUP;
		return c->application_registered
			       ? RB_API_DENY_ALREADY_REGISTERED
			       : RB_API_ALLOW;
	case RB_API_UNREGISTER:
	case RB_API_NOTIFY:
	case RB_API_SET_STATE:
		/* Membership is checked at registration; a caller that is
		 * not the application is refused whoever it is, root too:
		 * phones must only see what the application sends. */
		if (!root && !c->in_group)
			return RB_API_DENY_NOT_IN_GROUP;
		return c->is_application ? RB_API_ALLOW
					 : RB_API_DENY_NOT_APPLICATION;
	case RB_API_EXIT_PAIRING:
	case RB_API_ENTER_PAIRING:
	case RB_API_FORGET_OWNER:
	case RB_API_FACTORY_RESET:
		return root ? RB_API_ALLOW : RB_API_DENY_ROOT_ONLY;
	}
	return RB_API_DENY_ROOT_ONLY;
}

const char *rb_api_verdict_text(RbApiVerdict v)
{
	switch (v) {
	case RB_API_ALLOW:
		return "allowed";
	case RB_API_DENY_ROOT_ONLY:
		return "only root may call this";
	case RB_API_DENY_NOT_IN_GROUP:
		return "only root and members of the API group may call this";
	case RB_API_DENY_NOT_APPLICATION:
		return "only the registered application may call this";
	case RB_API_DENY_ALREADY_REGISTERED:
		return "an application is already registered";
	}
	return "denied";
}
