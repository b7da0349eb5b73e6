// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "core/types.h"

static const char *const button_names[RB_BUTTON_COUNT] = {
	[RB_BUTTON_QUIZZER_RESET] = "QUIZZER_RESET",
	[RB_BUTTON_TIMER_RESET] = "TIMER_RESET",
	[RB_BUTTON_TIMER_530] = "TIMER_530",
	[RB_BUTTON_CONTEST] = "CONTEST",
};

const char *rb_button_name(RbButton button)
{
	if ((unsigned int)button >= RB_BUTTON_COUNT)
		return "UNKNOWN";
	return button_names[button];
}

bool rb_button_from_name(const char *name, RbButton *out)
{
	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++) {
		if (name && strcasecmp(name, button_names[i]) == 0) {
			*out = (RbButton)i;
			return true;
		}
	}
	return false;
}

bool rb_peer_set(RbPeer *out, const char *addr, RbAddrType type)
{
	char tmp[RB_ADDR_STRLEN];

	if (!addr || strlen(addr) != RB_ADDR_STRLEN - 1)
		return false;
	if (type != RB_ADDR_PUBLIC && type != RB_ADDR_RANDOM)
		return false;
	for (unsigned int i = 0; i < RB_ADDR_STRLEN - 1; i++) {
		if (i % 3 == 2) {
			if (addr[i] != ':')
				return false;
			tmp[i] = ':';
		} else {
			if (!isxdigit((unsigned char)addr[i]))
				return false;
			tmp[i] = (char)toupper((unsigned char)addr[i]);
		}
	}
	tmp[RB_ADDR_STRLEN - 1] = '\0';
	memcpy(out->addr, tmp, sizeof(tmp));
	out->type = type;
	return true;
}

bool rb_peer_equal(const RbPeer *a, const RbPeer *b)
{
	return a->type == b->type && strcmp(a->addr, b->addr) == 0;
}

uint8_t rb_write_verdict_att_error(RbWriteVerdict verdict)
{
	switch (verdict) {
	case RB_WRITE_OK:
		return 0;
	case RB_WRITE_REJECT_NOT_PAIRED:
		return 0x80;
	case RB_WRITE_REJECT_NOT_ENCRYPTED:
		return 0x81;
	case RB_WRITE_REJECT_NOT_AUTHENTICATED:
		return 0x82;
	case RB_WRITE_REJECT_NOT_AUTHORIZED:
		return 0x83;
	}
	return 0x83;
}

const char *rb_write_verdict_name(RbWriteVerdict verdict)
{
	switch (verdict) {
	case RB_WRITE_OK:
		return "OK";
	case RB_WRITE_REJECT_NOT_PAIRED:
		return "NOT_PAIRED";
	case RB_WRITE_REJECT_NOT_ENCRYPTED:
		return "NOT_ENCRYPTED";
	case RB_WRITE_REJECT_NOT_AUTHENTICATED:
		return "NOT_AUTHENTICATED";
	case RB_WRITE_REJECT_NOT_AUTHORIZED:
		return "NOT_AUTHORIZED";
	}
	return "UNKNOWN";
}
