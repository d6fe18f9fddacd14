// Studio responsiveness (issue 6): time to redraw a 20,000-point trial plot and a 64x64
// landscape heat map, offscreen, and the GUI event loop's lateness while a replay session runs
// flat out in the window's worker thread. Targets: redraws under 30 ms, event-loop p99 under 50 ms.
#include "MainWindow.h"
#include "analysis/LandscapeGrid.h"
#include "models/TrialTableModel.h"
#include "views/LandscapeView.h"
#include "views/SetupPanel.h"
#include "views/TrialPlot.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTimer>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <ctime>
#include <vector>

using namespace dv;
using namespace dv::studio;

namespace {

constexpr int kRepeats = 30;

struct Stats {
    double median, p95, p99, max;
};

Stats stats(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    const auto at = [&](double q) { return v[std::min(v.size() - 1, size_t(std::ceil(q * double(v.size())) - 1))]; };
    return {at(0.5), at(0.95), at(0.99), v.back()};
}

double msSince(const QElapsedTimer& t) { return double(t.nsecsElapsed()) / 1e6; }

// CPU time of this thread: what a redraw costs when the machine is shared (the wall time
// includes waiting for a core on a loaded machine).
double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

struct Timing {
    std::vector<double> wall, cpu;
};

template <typename F>
void timeIt(Timing& t, F&& f)
{
    QElapsedTimer w;
    const double c0 = threadCpuMs();
    w.start();
    f();
    t.wall.push_back(msSince(w));
    t.cpu.push_back(threadCpuMs() - c0);
}

void row(const QString& what, const Timing& t)
{
    const Stats w = stats(t.wall), c = stats(t.cpu);
    std::printf("| %s | %zu | %.2f | %.2f | %.2f | %.2f | %.2f |\n", qPrintable(what), t.wall.size(), w.median, w.p95,
                w.max, c.median, c.p95);
}

// Trials with log-normal times and 5% failures: the shape of a real session's cloud.
QVector<Trial> syntheticTrials(int n, const QDateTime& start)
{
    std::mt19937 rng(7);
    std::lognormal_distribution<double> time(0.0, 0.8);
    std::uniform_real_distribution<double> u(0, 1);
    QVector<Trial> trials;
    trials.reserve(n);
    for (int i = 0; i < n; ++i) {
        Trial t;
        t.sequence = i + 1;
        t.startedAt = start.addMSecs(i * 3);
        t.finishedAt = start.addMSecs(i * 3 + 2);
        if (u(rng) < 0.05) {
            t.measurement = Measurement::failure(i % 2 ? Status::CompileError : Status::RuntimeError, QStringLiteral("x"));
        } else {
            t.measurement.status = Status::Ok;
            t.measurement.objectiveMs = time(rng);
        }
        trials.append(t);
    }
    return trials;
}

void benchTrialPlot()
{
    TrialPlot plot;
    plot.resize(900, 600);
    plot.show();
    const QVector<Trial> trials = syntheticTrials(20000, QDateTime::currentDateTimeUtc());
    BestSoFar best;
    for (const Trial& t : trials)
        best.add(t);
    plot.appendTrials(trials);
    plot.setBestSoFar(best);
    QVector<double> reference(20000);
    for (int i = 0; i < reference.size(); ++i)
        reference[i] = 0.2 + 1.0 / std::sqrt(i + 1.0);
    plot.setReference(reference);
    plot.redraw();
    plot.plot()->replot(QCustomPlot::rpImmediateRefresh); // warm-up

    Timing full, flush;
    for (int r = 0; r < kRepeats; ++r) {
        timeIt(full, [&] {
            plot.redraw(); // rescale, then the replot the window's timer would let run
            plot.plot()->replot(QCustomPlot::rpImmediateRefresh);
        });
    }
    // What one coalesced update costs at 20,000 points: 100 new trials, best line, rescale, replot.
    const QVector<Trial> more = syntheticTrials(100 * kRepeats, QDateTime::currentDateTimeUtc());
    for (int r = 0; r < kRepeats; ++r) {
        const QVector<Trial> batch = more.mid(r * 100, 100);
        timeIt(flush, [&] {
            plot.appendTrials(batch);
            for (const Trial& x : batch)
                best.add(x);
            plot.setBestSoFar(best);
            plot.redraw();
            plot.plot()->replot(QCustomPlot::rpImmediateRefresh);
        });
    }
    row(QStringLiteral("trial plot, 20,000 points: redraw (rescale + replot)"), full);
    row(QStringLiteral("trial plot, 20,000 points: +100 trials, best line, redraw"), flush);
}

void benchLandscape()
{
    QVector<Parameter> params(3);
    for (int p = 0; p < 2; ++p) {
        params[p].name = QStringLiteral("p%1").arg(p);
        for (int v = 0; v < 64; ++v)
            params[p].values.append(v * 8 + 8);
    }
    params[2] = {QStringLiteral("c"), ParameterType::Int, {1, 2, 4}};
    auto space = ConfigSpace::create(QStringLiteral("bench64"), params, {QStringLiteral("p0 + p1 <= 900")});
    if (!space) {
        std::fprintf(stderr, "%s\n", qPrintable(space.error()));
        std::exit(1);
    }
    Landscape l;
    l.space = space.value();
    std::mt19937 rng(11);
    std::uniform_real_distribution<double> u(0, 1);
    for (qint64 i = 0; i < l.space.size(); ++i) {
        const std::vector<int> v = l.space.valueIndices(i);
        const bool failed = u(rng) < 0.04;
        l.status.push_back(failed ? Status::RuntimeError : Status::Ok);
        l.objectiveMs.push_back(failed ? std::nan("") : 0.1 * std::exp(0.05 * std::abs(v[0] - 20) + 0.03 * std::abs(v[1] - 40)) * (1 + v[2]));
    }
    LandscapeGrid grid = LandscapeGrid::fromLandscape(l, 0, 1).value();
    LandscapeView view;
    view.resize(700, 600);
    view.show();
    view.setSpace(l.space);
    view.setGrid(grid);
    view.plot()->replot(QCustomPlot::rpImmediateRefresh);

    Timing redraw, update;
    for (int r = 0; r < kRepeats; ++r) {
        timeIt(redraw, [&] {
            view.setGrid(grid); // refills all 4,096 cells of both maps
            view.plot()->replot(QCustomPlot::rpImmediateRefresh);
        });
    }
    LandscapeGrid live = LandscapeGrid::create(l.space, 0, 1).value();
    qint64 next = 0;
    for (int r = 0; r < kRepeats; ++r) {
        timeIt(update, [&] {
            for (int k = 0; k < 100 && next < l.space.size(); ++k, ++next)
                live.add(next, l.status[size_t(next)], l.objectiveMs[size_t(next)]);
            view.setGrid(live);
            view.plot()->replot(QCustomPlot::rpImmediateRefresh);
        });
    }
    row(QStringLiteral("landscape 64x64 (%1 configurations): redraw").arg(l.space.size()), redraw);
    row(QStringLiteral("landscape 64x64: +100 trials, redraw"), update);
}

// A QTimer asks for a tick every kTickMs; lateness = how much later than asked each tick comes.
void benchEventLoop(const char* deviceId)
{
    constexpr int kTickMs = 5;
    QTemporaryDir dir;
    MainWindow window(dir.filePath(QStringLiteral("bench.sqlite")));
    window.resize(1500, 950);
    window.show();
    window.setupPanel()->setDevice(QString::fromLatin1(deviceId));
    window.setupPanel()->setStrategy(QStringLiteral("grid"));
    window.setupPanel()->setBudget(0); // the whole space

    std::vector<double> lateness;
    QElapsedTimer clock;
    double last = -1;
    QTimer ticker;
    ticker.setTimerType(Qt::PreciseTimer);
    ticker.setInterval(kTickMs);
    QObject::connect(&ticker, &QTimer::timeout, [&] {
        const double now = msSince(clock);
        if (last >= 0)
            lateness.push_back(std::max(0.0, now - last - kTickMs));
        last = now;
    });
    QElapsedTimer session;
    QObject::connect(&window, &MainWindow::sessionEnded, [&] { QApplication::exit(0); });
    QTimer::singleShot(0, [&] {
        clock.start();
        session.start();
        ticker.start();
        window.startSession();
    });
    QApplication::exec();
    ticker.stop();
    const double seconds = msSince(session) / 1000.0;
    const int trials = window.trialModel()->rowCount();
    const Stats s = stats(lateness);
    std::printf("| %s, grid, %d trials in %.1f s (%.0f trials/s) | %zu | %.2f | %.2f | %.2f | %.2f |\n", deviceId, trials,
                seconds, trials / seconds, lateness.size(), s.median, s.p95, s.p99, s.max);
}

} // namespace

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    std::printf("Redraw, offscreen, %d repetitions (ms):\n\n", kRepeats);
    std::printf("| what | repetitions | wall median | wall p95 | wall max | CPU median | CPU p95 |\n"
                "|---|---|---|---|---|---|---|\n");
    benchTrialPlot();
    benchLandscape();
    std::printf("\nGUI event-loop lateness of a %d ms timer while a replay session runs flat out (ms):\n\n", 5);
    std::printf("| session | ticks | median | p95 | p99 | max |\n|---|---|---|---|---|---|\n");
    benchEventLoop("replay:kerneltuner/convolution_W7800");
    benchEventLoop("replay:kerneltuner/pnpoly_RTX_3090");
    return 0;
}
