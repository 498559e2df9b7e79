#pragma once

#include <QLocale>
#include <QString>

// Numbers as the console shows them. The system locale decides the separators, but group
// separators are always on (Qt omits them in the C locale, the default in many studio
// installs): 1234567 must read as 1,234,567 at a glance.
QLocale displayLocale();
QString formatCount(qint64 value);
// Tenths of a percent as "42.5 %".
QString formatPercentTenths(int tenths);
