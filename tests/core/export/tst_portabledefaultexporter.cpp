// The portable default in the three forms its consumers read: triton-dejavu's fallback_heuristic
// module, a one-entry vLLM config body, a plain JSON.
#include "analysis/PortableConfig.h"
#include "export/PortableDefaultExporter.h"
#include "export/VllmConfigExporter.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace dv;

namespace {

// Two GPUs over one small space; `names` are the parameter names, the values of the first are
// {16, 32}, of the second {4, 8}. Times: GPU 0 prefers (16, 4), GPU 1 (32, 8); (16, 8) is 1.25x on both.
std::vector<Landscape> twoGpus(const QString& first, const QString& second)
{
    QVector<Parameter> params{{first, ParameterType::Int, {16, 32}}, {second, ParameterType::Int, {4, 8}}};
    const ConfigSpace space = ConfigSpace::create(QStringLiteral("k"), params, {}).value();
    std::vector<Landscape> out;
    for (int g = 0; g < 2; ++g) {
        Landscape l;
        l.name = g == 0 ? QStringLiteral("A100") : QStringLiteral("H100 'x'\nimport os");
        l.space = space;
        for (qint64 i = 0; i < space.size(); ++i) {
            const QJsonObject c = space.config(i);
            const bool a16 = c.value(first).toInt() == 16, b4 = c.value(second).toInt() == 4;
            const double ms = (a16 && !b4) ? 1.25 : (g == 0 ? (a16 && b4 ? 1.0 : 3.0) : (!a16 && !b4 ? 1.0 : 3.0));
            l.status.push_back(Status::Ok);
            l.objectiveMs.push_back(ms);
        }
        out.push_back(l);
    }
    return out;
}

} // namespace

class TestPortableDefaultExporter : public QObject {
    Q_OBJECT
private slots:
    void dejavuModule()
    {
        auto p = PortableConfig::compute(twoGpus(QStringLiteral("BLOCK_SIZE"), QStringLiteral("num_warps")));
        QVERIFY2(p, qPrintable(p.error()));
        auto text = PortableDefaultExporter::render(QStringLiteral("dejavu"), p.value(), PortableDefaultExporter::Criterion::Minimax,
                                                    QStringLiteral("my_kernel\nimport shutil"));
        QVERIFY2(text, qPrintable(text.error()));
        const QString t = QString::fromUtf8(text.value());
        QVERIFY2(t.contains(QLatin1String("PORTABLE_KWARGS = {'BLOCK_SIZE': 16}\n")), qPrintable(t));
        QVERIFY2(t.contains(QLatin1String("PORTABLE_OPTIONS = {'num_warps': 8}\n")), qPrintable(t));
        QVERIFY(t.contains(QLatin1String("def fallback_heuristic(key):\n    return triton.Config(dict(PORTABLE_KWARGS), **PORTABLE_OPTIONS)\n")));
        QVERIFY(t.contains(QLatin1String("PORTABLE_WORST_SLOWDOWN = 1.25\n")));
        // Names from files stay inside string literals: no line of the module starts with them.
        QVERIFY(t.contains(QLatin1String("PORTABLE_KERNEL = 'my_kernel\\nimport shutil'\n")));
        QVERIFY(t.contains(QLatin1String("PORTABLE_GPUS = ['A100', \"H100 'x'\\nimport os\"]\n")));
        for (const QString& line : t.split(QLatin1Char('\n')))
            QVERIFY2(!line.startsWith(QLatin1String("import os")) && !line.startsWith(QLatin1String("import shutil")), qPrintable(line));
    }

    void hostileParameterNameStaysAString()
    {
        auto p = PortableConfig::compute(twoGpus(QStringLiteral("B'); import os; ('"), QStringLiteral("num_stages")));
        QVERIFY(p);
        auto text = PortableDefaultExporter::render(QStringLiteral("dejavu"), p.value(), PortableDefaultExporter::Criterion::Minimax, QStringLiteral("k"));
        QVERIFY(text);
        QVERIFY2(text->contains("PORTABLE_KWARGS = {\"B'); import os; ('\": 16}\n"), text->constData());
    }

    void vllmBody()
    {
        auto p = PortableConfig::compute(twoGpus(QStringLiteral("BLOCK_SIZE_M"), QStringLiteral("num_warps")));
        QVERIFY(p);
        // vLLM's kernel needs all six of its parameters: a space with two is refused, naming what is missing.
        auto refused = PortableDefaultExporter::render(QStringLiteral("vllm"), p.value(), PortableDefaultExporter::Criterion::Minimax, QStringLiteral("k"));
        QVERIFY(!refused);
        QVERIFY2(refused.error().contains(QLatin1String("the portable configuration: the configuration has no 'BLOCK_SIZE_N'")), qPrintable(refused.error()));
    }

    void jsonBothVariants()
    {
        auto p = PortableConfig::compute(twoGpus(QStringLiteral("a"), QStringLiteral("b")));
        QVERIFY(p);
        auto bytes = PortableDefaultExporter::render(QStringLiteral("json"), p.value(), PortableDefaultExporter::Criterion::Geomean, QStringLiteral("k"));
        QVERIFY(bytes);
        const QJsonObject o = QJsonDocument::fromJson(bytes.value()).object();
        QCOMPARE(o.value(QLatin1String("criterion")).toString(), QStringLiteral("geomean"));
        QCOMPARE(o.value(QLatin1String("config")).toObject(), p->geomean().config);
        QCOMPARE(o.value(QLatin1String("qualified")).toInt(), 4);
        QCOMPARE(o.value(QLatin1String("minimax_variant")).toObject().value(QLatin1String("config")).toObject(), p->minimax().config);
        QCOMPARE(o.value(QLatin1String("worst_slowdown")).toDouble(), 1.25);
    }

    void writesThroughSafeFile()
    {
        QTemporaryDir dir;
        auto p = PortableConfig::compute(twoGpus(QStringLiteral("a"), QStringLiteral("b")));
        QVERIFY(p);
        const QString path = dir.filePath(QStringLiteral("portable.json"));
        QVERIFY(PortableDefaultExporter::write(QStringLiteral("json"), p.value(), PortableDefaultExporter::Criterion::Minimax, QStringLiteral("k"), path, false));
        // Another file is there: refused without --force, the file untouched.
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("mine");
        f.close();
        auto again = PortableDefaultExporter::write(QStringLiteral("json"), p.value(), PortableDefaultExporter::Criterion::Minimax, QStringLiteral("k"), path, false);
        QVERIFY(!again);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray("mine"));
    }
};

QTEST_GUILESS_MAIN(TestPortableDefaultExporter)
#include "tst_portabledefaultexporter.moc"
