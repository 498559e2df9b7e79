#include "access/constanttime.h"

bool constantTimeEquals(QByteArrayView presented, QByteArrayView secret)
{
    // volatile: the compiler may not turn the loop into an early-exit comparison.
    volatile unsigned char difference = presented.size() == secret.size() ? 0 : 1;
    const qsizetype presentedSize = presented.size();
    for (qsizetype i = 0; i < secret.size(); ++i) {
        // Reads within `presented` whatever its length (index wraps), so the loop does the same
        // work for every presented value.
        const unsigned char p =
            presentedSize > 0 ? static_cast<unsigned char>(presented[i % presentedSize]) : 0;
        difference = static_cast<unsigned char>(difference | (p ^ static_cast<unsigned char>(secret[i])));
    }
    return difference == 0 && !secret.isEmpty();
}
