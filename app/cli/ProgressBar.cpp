#include "ProgressBar.h"

#include <unistd.h>

namespace dv {

ProgressBar::ProgressBar(std::FILE* stream)
    : m_stream(stream)
    , m_terminal(isatty(fileno(stream)) != 0)
{
}

void ProgressBar::update(int done, int total, const QString& note)
{
    if (total <= 0)
        return;
    if (!m_terminal) {
        const int decile = int(10LL * done / total);
        if (decile != m_lastDecile && done > 0) {
            m_lastDecile = decile;
            std::fprintf(m_stream, "%d/%d evaluations  %s\n", done, total, qPrintable(note));
            std::fflush(m_stream);
        }
        return;
    }
    // Redraw at most 20 times a second: a fast replay must not spend its time on the terminal.
    if (m_drawn && done < total && m_lastDraw.isValid() && m_lastDraw.elapsed() < 50)
        return;
    m_lastDraw.start();
    constexpr int width = 30;
    const int filled = int(qint64(width) * done / total);
    QString bar = QString(filled, QLatin1Char('#')) + QString(width - filled, QLatin1Char('.'));
    std::fprintf(m_stream, "\r[%s] %d/%d  %s\033[K", qPrintable(bar), done, total, qPrintable(note));
    std::fflush(m_stream);
    m_drawn = true;
}

void ProgressBar::finish()
{
    if (m_terminal && m_drawn) {
        std::fprintf(m_stream, "\n");
        std::fflush(m_stream);
    }
}

} // namespace dv
