/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOCKMON_VERSION_H
#define LOCKMON_VERSION_H

#define LOCKMON_VERSION "0.1.0"

#endif /* LOCKMON_VERSION_H */
