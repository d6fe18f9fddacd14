// The most portable configuration beside the portability matrix: what the panel shows is core's
// dv::PortableConfig of the checked landscapes.
#include "TestSupport.h"
#include "analysis/PortableConfig.h"
#include "views/ComparisonView.h"
#include "views/PortableConfigPanel.h"
#include "views/ValueText.h"
#include "export/PortableDefaultExporter.h"

#include <QComboBox>
#include <QFile>
#include <QFileInfo>
#include <QPushButton>
#include <QTemporaryDir>

#include <QHeaderView>
#include <QTableWidget>
#include <QtTest>

using namespace dv;
using namespace dv::studio;

namespace {

// The value the panel shows in `column` for the row labelled `label`.
QString cell(QTableWidget* t, const QString& label, int column)
{
    for (int r = 0; r < t->rowCount(); ++r)
        if (t->verticalHeaderItem(r)->text() == label)
            return t->item(r, column)->text();
    return QStringLiteral("<no row %1>").arg(label);
}

} // namespace

class TestStudioPortablePanel : public QObject {
    Q_OBJECT
private slots:
    void comparisonShowsCoresPortableConfig()
    {
        ComparisonView view;
        view.setChecked({QStringLiteral("replay:kerneltuner/convolution_A100"), QStringLiteral("replay:kerneltuner/convolution_MI250X")});
        auto expected = PortableConfig::compute({test::convolutionLandscape(QStringLiteral("A100")), test::convolutionLandscape(QStringLiteral("MI250X"))});
        QVERIFY(expected);
        QTableWidget* t = view.portablePanel()->table();
        QCOMPARE(t->columnCount(), 2);
        for (const QString& name : expected->minimax().config.keys()) {
            QCOMPARE(cell(t, name, 0), valueText(expected->minimax().config.value(name)));
            QCOMPARE(cell(t, name, 1), valueText(expected->geomean().config.value(name)));
        }
        QCOMPARE(cell(t, QStringLiteral("worst slowdown"), 0), QString::number(expected->minimax().worst, 'f', 2) + QLatin1Char('x'));
        QCOMPARE(cell(t, QStringLiteral("on A100"), 0), QString::number(expected->minimax().slowdown[0], 'f', 2) + QLatin1Char('x'));
        QVERIFY2(view.portablePanel()->summary().startsWith(QStringLiteral("%1 of %2 configurations ran ok on every GPU")
                                                                .arg(expected->qualified())
                                                                .arg(expected->candidates())),
                 qPrintable(view.portablePanel()->summary()));
        // One landscape: nothing to compare, said so.
        view.setChecked({QStringLiteral("replay:kerneltuner/convolution_A100")});
        QCOMPARE(view.portablePanel()->table()->rowCount(), 0);
        QVERIFY(view.portablePanel()->summary().contains(QLatin1String("two or more")));
    }

    // No configuration ran on both: the panel says why instead of a table.
    void noneQualifies()
    {
        Landscape a = test::convolutionLandscape(QStringLiteral("A100"));
        Landscape b = a;
        b.name = QStringLiteral("other");
        // The second GPU runs exactly what failed on the first.
        for (qint64 i = 0; i < b.size(); ++i) {
            b.status[size_t(i)] = a.isOk(i) ? Status::RuntimeError : Status::Ok;
            b.objectiveMs[size_t(i)] = a.isOk(i) ? std::nan("") : 1.0;
        }
        PortableConfigPanel panel;
        panel.setLandscapes({a, b});
        QCOMPARE(panel.table()->rowCount(), 0);
        QVERIFY2(panel.summary().startsWith(QLatin1String("no configuration ran ok on all 2 GPUs")), qPrintable(panel.summary()));
        QVERIFY(!panel.exportButton()->isEnabled());
        QTemporaryDir dir;
        QVERIFY(!panel.exportDefault(dir.filePath(QStringLiteral("p.json")), false));
        QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("p.json"))));
    }

    // "Export as default…" writes what `compare --export-default` writes, byte for byte, in each
    // format and criterion; a vLLM file of a kernel vLLM does not have is refused, nothing written;
    // another file there is kept unless forced.
    void exportsTheDefault()
    {
        const Landscape a = test::convolutionLandscape(QStringLiteral("A100")), b = test::convolutionLandscape(QStringLiteral("MI250X"));
        PortableConfigPanel panel;
        panel.setLandscapes({a, b});
        QVERIFY(panel.exportButton()->isEnabled());
        auto portable = PortableConfig::compute({a, b});
        QVERIFY(portable);
        QTemporaryDir dir;
        for (int f = 0; f < panel.formatBox()->count(); ++f) {
            for (int c = 0; c < panel.criterionBox()->count(); ++c) {
                panel.formatBox()->setCurrentIndex(f);
                panel.criterionBox()->setCurrentIndex(c);
                const QString format = panel.formatBox()->currentData().toString();
                const QString path = dir.filePath(QStringLiteral("%1-%2.out").arg(format).arg(c));
                const auto criterion = PortableDefaultExporter::Criterion(panel.criterionBox()->currentData().toInt());
                auto expected = PortableDefaultExporter::render(format, portable.value(), criterion, a.space.name());
                auto written = panel.exportDefault(path, false);
                if (format == QLatin1String("vllm")) { // the convolution has none of the fused-MoE kernel's parameters
                    QVERIFY(!expected && !written);
                    QVERIFY(!QFileInfo::exists(path));
                    QVERIFY(!panel.exportMessage().isEmpty());
                    continue;
                }
                QVERIFY2(written, qPrintable(written.error()));
                QFile file(path);
                QVERIFY(file.open(QIODevice::ReadOnly));
                QCOMPARE(file.readAll(), expected.value());
                QVERIFY(panel.exportMessage().contains(path));
            }
        }
        // Another file there: kept without force.
        const QString other = dir.filePath(QStringLiteral("other.json"));
        QFile o(other);
        QVERIFY(o.open(QIODevice::WriteOnly));
        o.write("{}\n");
        o.close();
        panel.formatBox()->setCurrentIndex(panel.formatBox()->findData(QStringLiteral("json")));
        QVERIFY(!panel.exportDefault(other, false));
        QVERIFY(o.open(QIODevice::ReadOnly));
        QCOMPARE(o.readAll(), QByteArray("{}\n"));
    }
};

QTEST_MAIN(TestStudioPortablePanel)
#include "tst_studioportablepanel.moc"
