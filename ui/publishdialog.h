#pragma once

#include <QDialog>

#include "export/publishedresults.h"
#include "session/sessiondefinition.h"
#include "tally/tallysnapshot.h"

class QLabel;
class QPushButton;
class QTableWidget;

// "Publish results": what the graphics get if the operator takes now, next to what they show
// now (the last publish), option by option with the change, so nothing reaches the air that
// the operator has not looked at. Take (Enter) publishes; Cancel (Esc) leaves the air alone.
class PublishDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PublishDialog)

public:
    PublishDialog(const SessionDefinition &session, const PublishedResultsPtr &onAir,
                  const TallySnapshot &live, QWidget *parent = nullptr);

    QTableWidget *table() const { return m_table; }
    QPushButton *takeButton() const { return m_take; }
    // Whether anything would change on air (options, totals).
    bool changesAnything() const { return m_changes; }

private:
    QTableWidget *m_table = nullptr;
    QPushButton *m_take = nullptr;
    bool m_changes = false;
};
