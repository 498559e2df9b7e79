#include "numberformat.h"

using namespace Qt::Literals::StringLiterals;

QLocale displayLocale()
{
    QLocale locale;
    locale.setNumberOptions(locale.numberOptions() & ~QLocale::OmitGroupSeparator);
    return locale;
}

QString formatCount(qint64 value)
{
    return displayLocale().toString(value);
}

QString formatPercentTenths(int tenths)
{
    return displayLocale().toString(tenths / 10.0, 'f', 1) % u"\u00a0%"_s;
}
