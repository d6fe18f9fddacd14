#pragma once

#include <QElapsedTimer>
#include <QString>

#include <cstdio>

namespace dv {

/// A one-line progress bar on a terminal, or a line every 10% when the stream is not a terminal.
class ProgressBar {
public:
    explicit ProgressBar(std::FILE* stream);
    void update(int done, int total, const QString& note);
    void finish();

private:
    std::FILE* m_stream;
    bool m_terminal;
    QElapsedTimer m_lastDraw;
    int m_lastDecile = -1;
    bool m_drawn = false;
};

} // namespace dv
