#pragma once

class QApplication;
class QColor;

// The console's look: Fusion with a dark, low-glare palette, as in a broadcast gallery where
// the operator sits next to dimmed monitors. Call once, before the main window is created.
void applyConsoleTheme(QApplication &app);

// Black or white, whichever reads better on the background (perceived luminance, not HSL
// lightness, which calls saturated amber "dark").
QColor textColourOn(const QColor &background);
