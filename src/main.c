// SPDX-License-Identifier: GPL-2.0-or-later
#include "config.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	fprintf(stderr, "reaction-boxd: not implemented yet\n");
	return 1;
}
