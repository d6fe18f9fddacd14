// The setup panel: the space editor (live count, errors where they are written, saving), the
// strategy options and stop conditions as they reach the run request, and SpaceDraft's parsing.
#include "TestSupport.h"
#include "models/SpaceDraft.h"
#include "run/SessionRunner.h"
#include "search/StrategyFactory.h"
#include "space/ConfigSpace.h"
#include "views/SetupPanel.h"
#include "views/SpaceEditor.h"
#include "views/StrategyOptionsWidget.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTextBlock>
#include <QtTest>

using namespace dv;
using namespace dv::studio;

namespace {
const QString kSpaces = QStringLiteral(DEJAVU_DATASETS_DIR "/../spaces");
const QString kA100 = QStringLiteral("replay:kerneltuner/convolution_A100");

qint64 expectedCount(const QString& path, const QStringList& extraConstraints = {})
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    auto space = ConfigSpace::fromJson(f.readAll(), path);
    if (!space)
        qFatal("%s", qPrintable(space.error()));
    if (extraConstraints.isEmpty())
        return space->size();
    auto narrowed = ConfigSpace::create(QString(), space->parameters(), space->constraints() + extraConstraints);
    if (!narrowed)
        qFatal("%s", qPrintable(narrowed.error()));
    return narrowed->size();
}

void appendLine(QPlainTextEdit* edit, const QString& text)
{
    edit->setFocus();
    edit->moveCursor(QTextCursor::End);
    QTest::keyClick(edit, Qt::Key_Return);
    QTest::keyClicks(edit, text);
}

void removeLastLine(QPlainTextEdit* edit)
{
    QTextCursor c(edit->document()->lastBlock());
    c.movePosition(QTextCursor::EndOfBlock, QTextCursor::KeepAnchor);
    c.removeSelectedText();
    c.deletePreviousChar(); // the line break
    edit->setTextCursor(c);
}
} // namespace

class TestStudioSetupPanel : public QObject {
    Q_OBJECT
private slots:
    void parseValues_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("json");
        QTest::newRow("integers") << QStringLiteral("32, 64,128") << QStringLiteral("[32,64,128]");
        QTest::newRow("fractions") << QStringLiteral("0.5, 1.25") << QStringLiteral("[0.5,1.25]");
        QTest::newRow("booleans") << QStringLiteral("false, true") << QStringLiteral("[false,true]");
        QTest::newRow("quoted strings") << QStringLiteral("\"row\", \"tiled, padded\"") << QStringLiteral("[\"row\",\"tiled, padded\"]");
        QTest::newRow("bare strings") << QStringLiteral("row, tiled") << QStringLiteral("[\"row\",\"tiled\"]");
        QTest::newRow("single quotes") << QStringLiteral("'a', b") << QStringLiteral("[\"a\",\"b\"]");
        QTest::newRow("empty") << QString() << QStringLiteral("[]");
    }
    void parseValues()
    {
        QFETCH(QString, text);
        QFETCH(QString, json);
        QJsonArray a;
        for (const QJsonValue& v : SpaceDraft::parseValues(text))
            a.append(v);
        QCOMPARE(QString::fromUtf8(QJsonDocument(a).toJson(QJsonDocument::Compact)), json);
        // What valuesText() writes parses back to the same values.
        QCOMPARE(SpaceDraft::parseValues(SpaceDraft::valuesText(SpaceDraft::parseValues(text))), SpaceDraft::parseValues(text));
    }

    // Each error is reported against the row or line that holds it, with the core's message.
    void checkErrors_data()
    {
        QTest::addColumn<QString>("values");
        QTest::addColumn<QString>("constraints");
        QTest::addColumn<int>("badRow");
        QTest::addColumn<int>("badLine");
        QTest::addColumn<QString>("message");
        QTest::newRow("fine") << QStringLiteral("1, 2, 4") << QStringLiteral("A * B <= 8") << -1 << -1 << QString();
        QTest::newRow("unknown parameter") << QStringLiteral("1, 2") << QStringLiteral("A <= 2\n\n# note\nBLOCK_Q <= 128")
                                           << -1 << 3 << QStringLiteral("constraint 'BLOCK_Q <= 128': unknown parameter 'BLOCK_Q'");
        QTest::newRow("syntax") << QStringLiteral("1, 2") << QStringLiteral("A <= ") << -1 << 0 << QStringLiteral("constraint 'A <=': Unexpected end of expression");
        QTest::newRow("duplicate value") << QStringLiteral("1, 2, 2") << QStringLiteral("A <= 2") << 1 << -1
                                         << QStringLiteral("duplicate value 2");
        QTest::newRow("mixed types") << QStringLiteral("1, true") << QString() << 1 << -1 << QStringLiteral("must have one type");
        QTest::newRow("no values") << QStringLiteral(" ") << QString() << 1 << -1 << QStringLiteral("values: expected a non-empty array");
    }
    void checkErrors()
    {
        QFETCH(QString, values);
        QFETCH(QString, constraints);
        QFETCH(int, badRow);
        QFETCH(int, badLine);
        QFETCH(QString, message);
        SpaceDraft d;
        d.rows = {{QStringLiteral("A"), QStringLiteral("1, 2, 4")}, {QStringLiteral("B"), values}};
        d.constraintText = constraints;
        const SpaceDraft::Checked c = d.check();
        QCOMPARE(c.ok(), badRow < 0 && badLine < 0);
        if (badRow >= 0) {
            QCOMPARE(c.parameterErrors.keys(), QList<int>{badRow});
            QVERIFY2(c.parameterErrors.value(badRow).contains(message), qPrintable(c.parameterErrors.value(badRow)));
            QVERIFY(c.parameterErrors.value(badRow).startsWith(QStringLiteral("parameter 'B'")));
        }
        if (badLine >= 0) {
            QCOMPARE(c.constraintErrors.keys(), QList<int>{badLine});
            QVERIFY2(c.constraintErrors.value(badLine).contains(message), qPrintable(c.constraintErrors.value(badLine)));
        }
        if (c.ok())
            QCOMPARE(SpaceDraft::count(c).valid, 8); // A*B <= 8 over {1,2,4}x{1,2,4}: all but (2,4), (4,2), (4,4)
    }

    // Counting never stores the space: beyond 2^62 combinations, or past the most valid
    // configurations a space may hold, it says so instead of a number.
    void countLimits()
    {
        QStringList thousand;
        for (int i = 0; i < 1000; ++i)
            thousand.append(QString::number(i));
        SpaceDraft d;
        for (int i = 0; i < 7; ++i)
            d.rows.append({QStringLiteral("P%1").arg(i), thousand.join(QStringLiteral(", "))});
        SpaceDraft::Count c = SpaceDraft::count(d.check());
        QCOMPARE(c.valid, qint64(-1));
        QCOMPARE(c.error, QStringLiteral("the Cartesian product of the parameters exceeds 2^62 combinations"));

        d.rows.resize(3); // 10^9 combinations
        d.constraintText = QStringLiteral("P0 < 200");
        c = SpaceDraft::count(d.check());
        QCOMPARE(c.valid, qint64(-1));
        QCOMPARE(c.product, quint64(1000000000));
        QVERIFY2(c.error.startsWith(QStringLiteral("more than ")), qPrintable(c.error));
        d.constraintText = QStringLiteral("P0 < 2");
        c = SpaceDraft::count(d.check());
        QCOMPARE(c.valid, qint64(2000000));
        QVERIFY(c.error.isEmpty());
    }

    // Open a space file, watch the count follow an edited constraint, see a bad one flagged.
    void editorCountsLiveAndFlagsBadConstraints()
    {
        SetupPanel panel;
        panel.show();
        panel.showSpaceEditor();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        SpaceEditor* editor = panel.spaceEditor();
        const QString file = kSpaces + QStringLiteral("/convolution.json");
        QVERIFY(editor->openFile(file));
        QTRY_COMPARE(editor->validCount(), expectedCount(file));
        auto* table = editor->findChild<QTableWidget*>(QStringLiteral("parameterTable"));
        auto* constraints = editor->findChild<QPlainTextEdit*>(QStringLiteral("constraintEdit"));
        auto* countLabel = editor->findChild<QLabel*>(QStringLiteral("countLabel"));
        auto* errors = editor->findChild<QLabel*>(QStringLiteral("spaceErrors"));
        QVERIFY(table && constraints && countLabel && errors);
        QCOMPARE(table->rowCount(), 8);
        QCOMPARE(constraints->document()->blockCount(), 4);
        QVERIFY(countLabel->text().contains(QLocale().toString(expectedCount(file))));

        // A new constraint typed on a fifth line narrows the count.
        QSignalSpy counted(editor, &SpaceEditor::counted);
        appendLine(constraints, QStringLiteral("block_size_x <= 64"));
        QTRY_COMPARE(editor->validCount(), expectedCount(file, {QStringLiteral("block_size_x <= 64")}));
        QVERIFY(editor->validCount() < expectedCount(file));
        QVERIFY(counted.count() >= 1);

        // A typo: the line is marked (wavy underline carrying the message), the count waits.
        appendLine(constraints, QStringLiteral("BLOCK_Q <= 128"));
        QTRY_COMPARE(editor->constraintErrors().size(), 1);
        QCOMPARE(editor->constraintErrors().firstKey(), 5);
        QCOMPARE(editor->constraintErrors().first(), QStringLiteral("constraint 'BLOCK_Q <= 128': unknown parameter 'BLOCK_Q'"));
        QTRY_COMPARE(editor->validCount(), qint64(-1));
        const auto marks = constraints->extraSelections();
        QCOMPARE(marks.size(), 1);
        QCOMPARE(marks.first().cursor.blockNumber(), 5);
        QCOMPARE(marks.first().cursor.selectedText(), QStringLiteral("BLOCK_Q <= 128"));
        QCOMPARE(marks.first().format.underlineStyle(), QTextCharFormat::WaveUnderline);
        QVERIFY(marks.first().format.toolTip().contains(QStringLiteral("unknown parameter 'BLOCK_Q'")));
        QVERIFY(errors->isVisible());
        QVERIFY(errors->text().startsWith(QStringLiteral("line 6: ")));

        // Removing it brings the count back.
        removeLastLine(constraints);
        QTRY_COMPARE(editor->validCount(), expectedCount(file, {QStringLiteral("block_size_x <= 64")}));
        QVERIFY(editor->constraintErrors().isEmpty());
        QVERIFY(constraints->extraSelections().isEmpty());
        QVERIFY(!errors->isVisible());

        // A bad value list marks its row.
        table->item(1, 1)->setText(QStringLiteral("1, 2, 2"));
        QTRY_COMPARE(editor->parameterErrors().keys(), QList<int>{1});
        QVERIFY(table->item(1, 1)->toolTip().contains(QStringLiteral("duplicate value 2")));
        QTRY_COMPARE(editor->validCount(), qint64(-1));
        table->item(1, 1)->setText(QStringLiteral("1, 2"));
        QTRY_VERIFY(editor->validCount() > 0);
        QVERIFY(table->item(1, 1)->toolTip().isEmpty());
    }

    // Saving writes a space file the core reads back with the same count; a space with errors
    // is not written at all.
    void editorSavesSpaceFiles()
    {
        QTemporaryDir dir;
        SpaceEditor editor;
        const QString file = kSpaces + QStringLiteral("/triton_matmul.json");
        QVERIFY(editor.openFile(file));
        QTRY_VERIFY(editor.validCount() > 0);
        const QString out = dir.filePath(QStringLiteral("edited.json"));
        auto saved = editor.saveFile(out);
        QVERIFY2(saved, qPrintable(saved.error()));
        QCOMPARE(expectedCount(out), editor.validCount());
        QCOMPARE(editor.sourceName(), out);

        auto* constraints = editor.findChild<QPlainTextEdit*>(QStringLiteral("constraintEdit"));
        constraints->appendPlainText(QStringLiteral("NOPE > 1"));
        const QString bad = dir.filePath(QStringLiteral("bad.json"));
        auto refused = editor.saveFile(bad);
        QVERIFY(!refused);
        QVERIFY2(refused.error().contains(QStringLiteral("unknown parameter 'NOPE'")), qPrintable(refused.error()));
        QVERIFY(!QFile::exists(bad));

        auto missing = editor.openFile(dir.filePath(QStringLiteral("missing.json")));
        QVERIFY(!missing);
        QVERIFY(missing.error().contains(QStringLiteral("missing.json: cannot read")));
    }

    // "Device's space" shows the selected dataset's parameters.
    void editorLoadsTheDeviceSpace()
    {
        SetupPanel panel;
        panel.setDevice(kA100);
        QTest::mouseClick(panel.findChild<QPushButton*>(QStringLiteral("deviceSpaceButton")), Qt::LeftButton);
        const ConfigSpace space = test::datasetSpace(kA100);
        auto* table = panel.findChild<QTableWidget*>(QStringLiteral("parameterTable"));
        QCOMPARE(table->rowCount(), space.dimensions());
        QCOMPARE(table->item(0, 0)->text(), space.parameters().first().name);
        QCOMPARE(panel.spaceEditor()->sourceName(), kA100);
        // The count is of the parameter product under the (here: no) constraints.
        QTRY_COMPARE(panel.spaceEditor()->validCount(), qint64(space.productSize()));
    }

    // Strategy options and stop conditions reach the run request.
    void requestCarriesOptions()
    {
        SetupPanel panel;
        panel.show();
        auto* strategy = panel.findChild<QComboBox*>(QStringLiteral("strategyCombo"));
        auto* initial = panel.findChild<QSpinBox*>(QStringLiteral("bayesInitial"));
        auto* warm = panel.findChild<QComboBox*>(QStringLiteral("warmStartCombo"));
        QVERIFY(strategy && initial && warm);
        // The studio starts with the default every front end shares (StrategyFactory).
        QCOMPARE(panel.request().options.strategy, StrategyFactory::defaultName());
        QCOMPARE(panel.request().options.seed, StrategyFactory::kDefaultSeed);
        strategy->setCurrentText(QStringLiteral("random"));
        QTRY_VERIFY(!initial->isVisible()); // random has no options
        QVERIFY(panel.request().options.strategyOptions.isEmpty());

        strategy->setCurrentText(QStringLiteral("bayes"));
        QTRY_VERIFY(initial->isVisible());
        initial->setValue(12);
        panel.findChild<QSpinBox*>(QStringLiteral("bayesThreads"))->setValue(1);
        warm->setCurrentIndex(warm->findData(QStringLiteral("replay:kerneltuner/convolution_MI250X")));
        panel.findChild<QDoubleSpinBox*>(QStringLiteral("timeLimitSpin"))->setValue(30);
        panel.findChild<QSpinBox*>(QStringLiteral("patienceSpin"))->setValue(40);
        panel.findChild<QSpinBox*>(QStringLiteral("seedSpin"))->setValue(7);
        const RunRequest r = panel.request();
        QCOMPARE(r.options.strategy, QStringLiteral("bayes"));
        QCOMPARE(r.options.strategyOptions.value(QStringLiteral("initial")).toInt(), 12);
        QCOMPARE(r.options.strategyOptions.value(QStringLiteral("threads")).toInt(), 1);
        QCOMPARE(r.options.strategyOptions.value(QStringLiteral("candidates")).toInt(), 20000);
        QCOMPARE(r.warmStartDeviceId, QStringLiteral("replay:kerneltuner/convolution_MI250X"));
        QCOMPARE(r.options.maxSeconds, 30.0);
        QCOMPARE(r.options.stallEvaluations, 40);
        QCOMPARE(r.options.seed, quint64(7));

        // Options of another strategy do not leak into a random session.
        strategy->setCurrentText(QStringLiteral("random"));
        QVERIFY(panel.request().options.strategyOptions.isEmpty());
        QVERIFY(panel.request().warmStartDeviceId.isEmpty());
    }

    // The Slots control maps to LaunchRequest::slotCount: 0 ("as the device names") by default,
    // K when set, and it is locked while a session runs.
    void slotCountReachesTheRequest()
    {
        SetupPanel panel;
        auto* slotSpin = panel.findChild<QSpinBox*>(QStringLiteral("slotsSpin"));
        QVERIFY(slotSpin);
        QCOMPARE(panel.request().slotCount, 0);
        QCOMPARE(slotSpin->text(), slotSpin->specialValueText());
        QVERIFY(slotSpin->toolTip().contains(QStringLiteral("cuda:0-3/gemm")));
        QVERIFY(slotSpin->toolTip().contains(QStringLiteral("dejavu_ray_slot.py")));
        QCOMPARE(slotSpin->maximum(), 64);
        slotSpin->setValue(4);
        QCOMPARE(panel.request().slotCount, 4);
        panel.setRunning(true);
        QVERIFY(!slotSpin->isEnabled());
        panel.setRunning(false);
        QVERIFY(slotSpin->isEnabled());
    }

    // With "only the Space tab's values and constraints" ticked, a session searches just the
    // edited narrowing of the device's space; a narrowing with errors fails the run with the
    // editor's message instead of searching the whole space.
    void aSessionSearchesTheEditedSpace()
    {
        const QString device = QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096");
        QTemporaryDir dir;
        SetupPanel panel;
        panel.setDevice(device);
        QTest::mouseClick(panel.findChild<QPushButton*>(QStringLiteral("deviceSpaceButton")), Qt::LeftButton);
        auto* table = panel.findChild<QTableWidget*>(QStringLiteral("parameterTable"));
        QCOMPARE(table->item(0, 0)->text(), QStringLiteral("BLOCK"));
        table->item(0, 1)->setText(QStringLiteral("1024, 2048"));
        auto* constraints = panel.findChild<QPlainTextEdit*>(QStringLiteral("constraintEdit"));
        constraints->setPlainText(QStringLiteral("num_warps * 128 <= BLOCK"));
        QTRY_VERIFY(panel.spaceEditor()->validCount() > 0);
        auto* narrow = panel.findChild<QCheckBox*>(QStringLiteral("narrowCheck"));
        QVERIFY(narrow);
        QVERIFY(panel.request().options.space.isEmpty()); // off: the whole space
        narrow->setChecked(true);

        RunRequest r = panel.request();
        QVERIFY(r.spaceError.isEmpty());
        QVERIFY(!r.options.space.isEmpty());
        r.databasePath = dir.filePath(QStringLiteral("narrow.sqlite"));
        r.options.maxEvaluations = 0;
        r.options.remeasureTop = 0;
        SessionRunner runner;
        QSignalSpy trials(&runner, &SessionRunner::trialFinished);
        QSignalSpy started(&runner, &SessionRunner::started);
        QSignalSpy failed(&runner, &SessionRunner::failed);
        runner.run(r);
        QCOMPARE(failed.count(), 0);
        QCOMPARE(started.count(), 1);
        const auto space = started.first().at(2).value<ConfigSpace>();
        // BLOCK 1024: warps 1, 2, 4, 8; BLOCK 2048: warps 1..16; three stage counts each.
        QCOMPARE(space.size(), qint64((4 + 5) * 3));
        QCOMPARE(trials.count(), int(space.size()));
        for (const auto& args : trials) {
            const auto t = args.first().value<Trial>();
            const int block = t.config.value(QLatin1String("BLOCK")).toInt();
            QVERIFY2((block == 1024 || block == 2048) && t.config.value(QLatin1String("num_warps")).toInt() * 128 <= block,
                     qPrintable(t.configKey));
        }

        constraints->setPlainText(QStringLiteral("BLOCK_Q > 1"));
        const RunRequest bad = panel.request();
        QVERIFY(bad.options.space.isEmpty());
        QVERIFY2(bad.spaceError.contains(QStringLiteral("unknown parameter 'BLOCK_Q'")), qPrintable(bad.spaceError));
        runner.run(bad);
        QCOMPARE(failed.count(), 1);
        QVERIFY(failed.first().first().toString().startsWith(QStringLiteral("the space editor: ")));
    }
};

QTEST_MAIN(TestStudioSetupPanel)
#include "tst_studiosetuppanel.moc"
