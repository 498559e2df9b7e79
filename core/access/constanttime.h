#pragma once

#include <QByteArrayView>

// Equality of a secret and a presented value whose running time does not depend on where
// (or whether) they differ, only on the length of `secret` (which the server knows and the
// caller cannot choose). Qt has no such primitive: QByteArray's operator== is memcmp, which
// returns at the first differing byte and so tells a patient attacker how much of a token
// they guessed right. This is the classic XOR-accumulate loop; a length mismatch is folded
// into the result instead of returning early.
bool constantTimeEquals(QByteArrayView presented, QByteArrayView secret);
