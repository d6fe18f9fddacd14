// Export from the studio: ExportJob over core's SessionExport and Bundle, and File > Export…
// writing files off the GUI thread with a clear result or the core's error: the trial formats,
// a bundle, and the deployment formats (a vLLM file, a triton-dejavu tree) of replay ladders.
#include "MainWindow.h"
#include "TestSupport.h"
#include "device/DeviceRegistry.h"
#include "export/Bundle.h"
#include "export/DejavuExporter.h"
#include "export/SessionExport.h"
#include "export/TrialExporter.h"
#include "export/TritonCacheExporter.h"
#include "export/TritonConfigText.h"
#include "export/VllmConfigExporter.h"
#include "models/TrialTableModel.h"
#include "run/ExportJob.h"
#include "session/BestTrial.h"
#include "session/Session.h"
#include "views/ExportDialog.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDirIterator>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>

using namespace dv;
using namespace dv::studio;

namespace {
const QString kA100 = QStringLiteral("replay:kerneltuner/convolution_A100");

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

qint64 replaySession(ResultStore& store, const QString& device, const QString& strategy, int budget)
{
    SessionOptions o;
    o.strategy = strategy;
    o.seed = 5;
    o.maxEvaluations = budget;
    o.remeasureTop = 0;
    auto session = Session::create(store, test::openDevice(device), o);
    if (!session || !session.value()->run())
        qFatal("cannot run a replay session on %s", qPrintable(device));
    return session.value()->id();
}

/// Selects exactly the sessions `ids` in the dialog's list.
void selectSessions(QListWidget* list, const QVector<qint64>& ids)
{
    for (int row = 0; row < list->count(); ++row)
        list->item(row)->setSelected(ids.contains(list->item(row)->data(Qt::UserRole).toLongLong()));
}

QStringList filesBelow(const QString& root, const QString& name)
{
    QStringList out;
    QDirIterator it(root, {name}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        out.append(it.next());
    return out;
}
} // namespace

class TestStudioExport : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_dir.filePath(QStringLiteral("settings")));
        // One recorded session of 40 trials to export.
        m_db = m_dir.filePath(QStringLiteral("results.sqlite"));
        auto store = test::openStore(m_db);
        auto session = Session::create(*store, test::openDevice(kA100), SessionOptions{QStringLiteral("random"), {}, 3, 40, 0, 0});
        QVERIFY2(session, qPrintable(session.error()));
        QVERIFY(session.value()->run());
        m_id = session.value()->id();
        // The same kernel and problem on another GPU, for a bundle of two.
        auto other = Session::create(*store, test::openDevice(QStringLiteral("replay:kerneltuner/convolution_MI250X")),
                                     SessionOptions{QStringLiteral("random"), {}, 3, 20, 0, 0});
        QVERIFY2(other, qPrintable(other.error()));
        QVERIFY(other.value()->run());
        m_otherId = other.value()->id();
        m_expectedCsv = TrialExporter::toCsv(store->session(m_id).value(), store->trials(m_id).value());

        // Ladders of recorded H100 landscapes (as tst_cliexport builds them): RMSNorm rows 1, 16,
        // 256 searched exhaustively, matmul M 1024 and 4096 with 40 random evaluations.
        m_ladderDb = m_dir.filePath(QStringLiteral("ladders.sqlite"));
        auto ladders = test::openStore(m_ladderDb);
        for (const char* rows : {"1", "16", "256"})
            m_rms.append(replaySession(*ladders, QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows%1_N4096").arg(QLatin1String(rows)),
                                       QStringLiteral("grid"), 0));
        for (const char* m : {"1024", "4096"})
            m_matmul.append(replaySession(*ladders, QStringLiteral("replay:h100/triton_matmul_fp16_M%1_N%1_K%1").arg(QLatin1String(m)),
                                          QStringLiteral("random"), 40));
        // vLLM's files are for the fused-MoE kernel: a made-up layer (E 8, N 14336) at M 1024 and 4096.
        for (int m : {1024, 4096}) {
            const QString file = m_dir.filePath(QStringLiteral("moe_M%1.json").arg(m));
            QFile data(file);
            QVERIFY(data.open(QIODevice::WriteOnly));
            data.write(test::madeUpMoeDataset(m, 8, 14336, 4096));
            data.close();
            m_moe.append(replaySession(*ladders, file, QStringLiteral("grid"), 0));
        }
        for (qint64 id : m_rms + m_matmul + m_moe)
            m_best.insert(id, BestTrial::of(ladders->trials(id).value()).value().config);
        // The Python-side values of an RMSNorm deployment (on a GPU host: kernels/triton/deployment.py).
        const QJsonObject deployment = test::madeUpRmsnormDeployment();
        m_deployment = m_dir.filePath(QStringLiteral("deploy-rmsnorm.json"));
        QFile f(m_deployment);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QJsonDocument(deployment).toJson());
    }

    void jobWritesWhatCoreWrites()
    {
        ExportJob job;
        job.databasePath = m_db;
        job.sessionIds = {m_id};
        job.format = QStringLiteral("csv");
        job.path = m_dir.filePath(QStringLiteral("job.csv"));
        auto done = job.run();
        QVERIFY2(done, qPrintable(done.error()));
        QVERIFY(done->message.contains(job.path));
        QVERIFY(done->message.contains(QStringLiteral("40 trial")));
        QCOMPARE(readAll(job.path), m_expectedCsv);
        // Every format core writes.
        QCOMPARE(ExportJob::formats(), SessionExport::formats() << QStringLiteral("bundle"));
        for (const char* f : {"csv", "kerneltuner", "dejavu", "vllm", "triton-cache", "bundle"})
            QVERIFY2(ExportJob::formats().contains(QLatin1String(f)), f);
    }

    void jobErrors_data()
    {
        QTest::addColumn<QString>("database");
        QTest::addColumn<qint64>("session");
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown format") << QString() << qint64(0) << QStringLiteral("xml") << QStringLiteral("out.xml")
                                        << QStringLiteral("unknown export format 'xml' (known: csv, kerneltuner");
        QTest::newRow("no store") << QStringLiteral("missing.sqlite") << qint64(0) << QStringLiteral("csv")
                                  << QStringLiteral("out.csv") << QStringLiteral("missing.sqlite: no such result store");
        QTest::newRow("no session") << QString() << qint64(999) << QStringLiteral("csv") << QStringLiteral("out.csv")
                                    << QStringLiteral("999");
        QTest::newRow("two sessions to csv") << QString() << qint64(-1) << QStringLiteral("csv") << QStringLiteral("out.csv")
                                             << QStringLiteral("csv exports one session; 2 are selected");
        QTest::newRow("unwritable") << QString() << qint64(0) << QStringLiteral("csv")
                                    << QStringLiteral("no-such-dir/out.csv") << QStringLiteral("no-such-dir/out.csv: cannot write");
    }
    void jobErrors()
    {
        QFETCH(QString, database);
        QFETCH(qint64, session);
        QFETCH(QString, format);
        QFETCH(QString, file);
        QFETCH(QString, message);
        const QVector<qint64> ids = session < 0 ? QVector<qint64>{m_id, m_otherId} : QVector<qint64>{session ? session : m_id};
        ExportJob job;
        job.databasePath = database.isEmpty() ? m_db : m_dir.filePath(database);
        job.sessionIds = ids;
        job.format = format;
        job.path = m_dir.filePath(file);
        auto done = job.run();
        QVERIFY(!done);
        QVERIFY2(done.error().contains(message), qPrintable(done.error()));
        QVERIFY(!QFile::exists(job.path));
    }

    // File > Export… on the session shown: the dialog writes the file in the background and
    // says where; a bad path gives the core's error and no file.
    void exportFromTheWindow()
    {
        MainWindow window(m_db);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.openStoredSession(m_id);
        QCOMPARE(window.trialModel()->rowCount(), 40);
        auto* action = window.findChild<QAction*>(QStringLiteral("exportAction"));
        QVERIFY(action);
        QCOMPARE(action->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_E));
        action->trigger();
        ExportDialog* dialog = window.exportDialog();
        QVERIFY(dialog);
        QVERIFY(QTest::qWaitForWindowExposed(dialog));
        auto* sessions = dialog->findChild<QListWidget*>(QStringLiteral("exportSessions"));
        auto* format = dialog->findChild<QComboBox*>(QStringLiteral("exportFormat"));
        auto* path = dialog->findChild<QLineEdit*>(QStringLiteral("exportPath"));
        auto* button = dialog->findChild<QPushButton*>(QStringLiteral("exportButton"));
        auto* progress = dialog->findChild<QProgressBar*>(QStringLiteral("exportProgress"));
        QVERIFY(sessions && format && path && button && progress);
        QCOMPARE(sessions->count(), 2);
        QCOMPARE(sessions->selectedItems().size(), 1);
        QCOMPARE(sessions->selectedItems().first()->data(Qt::UserRole).toLongLong(), m_id); // the session shown
        QCOMPARE(format->count(), ExportJob::formats().size());
        QVERIFY(path->text().endsWith(QStringLiteral("session-%1.csv").arg(m_id)));

        const QString csv = m_dir.filePath(QStringLiteral("gui.csv"));
        path->clear();
        QTest::keyClicks(path, csv);
        QSignalSpy exported(dialog, &ExportDialog::exported);
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, 20000);
        QVERIFY(exported.at(0).at(0).toBool());
        QVERIFY(dialog->message().contains(csv));
        QCOMPARE(progress->value(), progress->maximum());
        QCOMPARE(readAll(csv), m_expectedCsv);

        // Kernel Tuner format: the file loads back as a replay device.
        format->setCurrentText(QStringLiteral("kerneltuner"));
        const QString kt = m_dir.filePath(QStringLiteral("gui-kerneltuner.json"));
        path->setText(kt);
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 2, 20000);
        QVERIFY2(exported.at(1).at(0).toBool(), qPrintable(dialog->message()));
        auto replay = DeviceRegistry::open(kt);
        QVERIFY2(replay, qPrintable(replay.error()));

        // A bundle of both GPUs' sessions (Ctrl+click adds the second): it reads back with each
        // session and its best time.
        format->setCurrentText(QStringLiteral("bundle"));
        QListWidgetItem* other = sessions->item(0)->data(Qt::UserRole).toLongLong() == m_otherId ? sessions->item(0) : sessions->item(1);
        QTest::mouseClick(sessions->viewport(), Qt::LeftButton, Qt::ControlModifier, sessions->visualItemRect(other).center());
        QCOMPARE(sessions->selectedItems().size(), 2);
        const QString bundlePath = m_dir.filePath(QStringLiteral("gui.tar.gz"));
        path->setText(bundlePath);
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 3, 20000);
        QVERIFY2(exported.at(2).at(0).toBool(), qPrintable(dialog->message()));
        QVERIFY(dialog->message().contains(bundlePath));
        auto bundle = Bundle::read(bundlePath);
        QVERIFY2(bundle, qPrintable(bundle.error()));
        QCOMPARE(bundle->manifest.entries.size(), 2);
        QMap<int, qint64> keyByEvaluations;
        for (const BundleEntry& e : bundle->manifest.entries)
            keyByEvaluations.insert(e.evaluations, e.key);
        QCOMPARE(keyByEvaluations, (QMap<int, qint64>{{20, 4096}, {40, 4096}}));
        QVERIFY(dialog->message().contains(QStringLiteral("2 session")));

        // A directory that does not exist: the core's message, nothing written.
        const QString bad = m_dir.filePath(QStringLiteral("absent/out.csv"));
        format->setCurrentText(QStringLiteral("csv"));
        QCOMPARE(sessions->selectedItems().size(), 1); // back to one session for csv
        path->setText(bad);
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 4, 20000);
        QVERIFY(!exported.at(3).at(0).toBool());
        QVERIFY2(dialog->message().startsWith(QStringLiteral("Export failed: %1: cannot write").arg(bad)), qPrintable(dialog->message()));
        QVERIFY(!QFile::exists(bad));
        QVERIFY(button->isEnabled());
    }

    // Another format starts afresh: the path follows it (in the folder chosen so far) and the
    // last export's message, which describes another file, is cleared. It kept both before.
    void formatChangeStartsAfresh()
    {
        MainWindow window(m_db);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.openStoredSession(m_id);
        window.showExportDialog();
        ExportDialog* dialog = window.exportDialog();
        QVERIFY(dialog);
        auto* format = dialog->findChild<QComboBox*>(QStringLiteral("exportFormat"));
        auto* path = dialog->findChild<QLineEdit*>(QStringLiteral("exportPath"));
        auto* button = dialog->findChild<QPushButton*>(QStringLiteral("exportButton"));
        auto* details = dialog->findChild<QPlainTextEdit*>(QStringLiteral("exportDetails"));
        QVERIFY(format && path && button && details);
        QDir(m_dir.path()).mkpath(QStringLiteral("mine"));
        const QString folder = m_dir.filePath(QStringLiteral("mine"));
        const QString csv = folder + QStringLiteral("/chosen.csv");
        path->clear();
        QTest::keyClicks(path, csv); // typed by the user
        QSignalSpy exported(dialog, &ExportDialog::exported);
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, 20000);
        QVERIFY2(exported.at(0).at(0).toBool(), qPrintable(dialog->message()));
        QVERIFY(dialog->message().contains(csv));

        format->setCurrentText(QStringLiteral("kerneltuner"));
        QCOMPARE(path->text(), QDir(folder).filePath(QStringLiteral("session-%1%2").arg(m_id).arg(ExportJob::suffix(QStringLiteral("kerneltuner")))));
        QVERIFY2(dialog->message().isEmpty(), qPrintable(dialog->message()));
        QVERIFY(details->isHidden());
        // A directory format: a directory in the same folder, not the file typed for csv.
        format->setCurrentText(QStringLiteral("dejavu"));
        QCOMPARE(path->text(), QDir(folder).filePath(QStringLiteral("dejavu-export")));
        // Back to csv, the file suggested for it (the typed one was for the earlier choice).
        format->setCurrentText(QStringLiteral("csv"));
        QCOMPARE(path->text(), QDir(folder).filePath(QStringLiteral("session-%1.csv").arg(m_id)));
    }

    // Closing the studio with the export dialog open: the dialog goes with the window, and no slot
    // of the window runs while it is being destroyed (UBSan reported a member access within a
    // MainWindow already destroyed, from the dialog's destroyed() signal in ~QWidget).
    void closingTheWindowWithTheDialogOpen()
    {
        auto* window = new MainWindow(m_db);
        window->show();
        QVERIFY(QTest::qWaitForWindowExposed(window));
        window->showExportDialog();
        QPointer<ExportDialog> dialog = window->exportDialog();
        QVERIFY(dialog);
        QVERIFY(QTest::qWaitForWindowExposed(dialog.data()));
        window->close();
        delete window;
        QVERIFY(dialog.isNull());
    }

    // File > Export… of ladders in the formats deployments load: a vLLM file and a
    // triton-dejavu tree, read back with core's readers; refusals leave nothing behind.
    // sglang from the dialog: the sessions ran on replays (no Triton version recorded), so the
    // Triton version field names the folder; without it the export is refused, nothing written.
    void sglangTakesTheTritonVersion()
    {
        MainWindow window(m_ladderDb);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.findChild<QAction*>(QStringLiteral("exportAction"))->trigger();
        ExportDialog* dialog = window.exportDialog();
        QVERIFY(dialog);
        auto* sessions = dialog->findChild<QListWidget*>(QStringLiteral("exportSessions"));
        auto* format = dialog->findChild<QComboBox*>(QStringLiteral("exportFormat"));
        auto* path = dialog->findChild<QLineEdit*>(QStringLiteral("exportPath"));
        auto* experts = dialog->findChild<QSpinBox*>(QStringLiteral("exportExperts"));
        auto* n = dialog->findChild<QSpinBox*>(QStringLiteral("exportN"));
        auto* triton = dialog->findChild<QLineEdit*>(QStringLiteral("exportTritonVersion"));
        auto* button = dialog->findChild<QPushButton*>(QStringLiteral("exportButton"));
        QVERIFY(sessions && format && path && experts && n && triton && button);
        QSignalSpy exported(dialog, &ExportDialog::exported);
        format->setCurrentText(QStringLiteral("sglang"));
        QVERIFY(triton->isVisible());
        selectSessions(sessions, m_moe);
        experts->setValue(8);
        n->setValue(14336);
        const QString dir = m_dir.filePath(QStringLiteral("gui-sglang"));
        path->setText(dir);
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, 60000);
        QVERIFY(!exported.at(0).at(0).toBool());
        QVERIFY2(dialog->message().contains(QLatin1String("Triton")), qPrintable(dialog->message()));
        QVERIFY(!QFileInfo::exists(dir) || QDir(dir).isEmpty());
        triton->setText(QStringLiteral("3.4.0"));
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 2, 60000);
        QVERIFY2(exported.at(1).at(0).toBool(), qPrintable(dialog->message()));
        const QString file = dir + QStringLiteral("/configs/triton_3_4_0/E=8,N=14336,device_name=NVIDIA_H100_80GB_HBM3.json");
        QVERIFY2(QFileInfo::exists(file), qPrintable(dialog->message()));
        const QJsonObject body = QJsonDocument::fromJson(readAll(file)).object();
        QCOMPARE(body.keys(), (QStringList{QStringLiteral("1024"), QStringLiteral("4096")}));
        QVERIFY(!body.contains(QLatin1String("triton_version")));
    }

    void deploymentExportsFromTheWindow()
    {
        MainWindow window(m_ladderDb);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.findChild<QAction*>(QStringLiteral("exportAction"))->trigger();
        ExportDialog* dialog = window.exportDialog();
        QVERIFY(dialog);
        auto* sessions = dialog->findChild<QListWidget*>(QStringLiteral("exportSessions"));
        auto* format = dialog->findChild<QComboBox*>(QStringLiteral("exportFormat"));
        auto* path = dialog->findChild<QLineEdit*>(QStringLiteral("exportPath"));
        auto* deployment = dialog->findChild<QLineEdit*>(QStringLiteral("exportDeployment"));
        auto* experts = dialog->findChild<QSpinBox*>(QStringLiteral("exportExperts"));
        auto* n = dialog->findChild<QSpinBox*>(QStringLiteral("exportN"));
        auto* button = dialog->findChild<QPushButton*>(QStringLiteral("exportButton"));
        QVERIFY(sessions && format && path && deployment && experts && n && button);
        QCOMPARE(sessions->count(), 7);
        QSignalSpy exported(dialog, &ExportDialog::exported);

        // vLLM: the inputs of the layer appear with the format; the file goes into a directory.
        format->setCurrentText(QStringLiteral("vllm"));
        QVERIFY(experts->isVisible() && !deployment->isVisible());
        QVERIFY(path->text().endsWith(QStringLiteral("vllm-export")));
        selectSessions(sessions, m_moe);
        QCOMPARE(sessions->selectedItems().size(), 2);
        experts->setValue(8);
        n->setValue(14336);
        const QString vllmDir = m_dir.filePath(QStringLiteral("gui-vllm"));
        path->setText(vllmDir);
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, 60000);
        QVERIFY2(exported.at(0).at(0).toBool(), qPrintable(dialog->message()));
        const QString vllmFile = vllmDir + QStringLiteral("/E=8,N=14336,device_name=NVIDIA_H100_80GB_HBM3.json");
        QVERIFY2(dialog->message().contains(vllmFile), qPrintable(dialog->message()));
        QVERIFY2(dialog->message().contains(QStringLiteral("2 tuned key")), qPrintable(dialog->message()));
        QVERIFY2(dialog->details().contains(QStringLiteral("nearest M")), qPrintable(dialog->details()));
        auto configs = VllmConfigExporter::parse(readAll(vllmFile), vllmFile);
        QVERIFY2(configs, qPrintable(configs.error()));
        QCOMPARE(configs->keys(), (QList<qint64>{1024, 4096}));
        for (int i = 0; i < 2; ++i) {
            const QJsonObject entry = configs->value(i == 0 ? 1024 : 4096);
            const QJsonObject best = m_best.value(m_moe[i]);
            for (const char* name : {"BLOCK_SIZE_M", "BLOCK_SIZE_N", "BLOCK_SIZE_K", "GROUP_SIZE_M", "num_warps", "num_stages"})
                QCOMPARE(entry.value(QLatin1String(name)).toInt(), best.value(QLatin1String(name)).toInt());
        }

        // A file of other content is replaced only with the box ticked.
        {
            QFile f(vllmFile);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("{}\n");
        }
        auto* force = dialog->findChild<QCheckBox*>(QStringLiteral("exportForce"));
        QVERIFY(force && force->isVisible() && !force->isChecked());
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 2, 60000);
        QVERIFY(!exported.at(1).at(0).toBool());
        QVERIFY2(dialog->message().contains(QStringLiteral("exists with different content; tick \u201cReplace existing files that differ\u201d")),
                 qPrintable(dialog->message()));
        QCOMPARE(readAll(vllmFile), QByteArray("{}\n"));
        force->setChecked(true);
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 3, 60000);
        QVERIFY2(exported.at(2).at(0).toBool(), qPrintable(dialog->message()));
        QCOMPARE(VllmConfigExporter::parse(readAll(vllmFile), vllmFile).value(), configs.value());
        force->setChecked(false);

        // triton-dejavu: the deployment file picked in the dialog; one cache.json for three keys.
        format->setCurrentText(QStringLiteral("dejavu"));
        QVERIFY(deployment->isVisible() && !experts->isVisible());
        selectSessions(sessions, m_rms);
        deployment->setText(m_deployment);
        const QString store = m_dir.filePath(QStringLiteral("gui-dejavu"));
        path->setText(store);
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 4, 60000);
        QVERIFY2(exported.at(3).at(0).toBool(), qPrintable(dialog->message()));
        QVERIFY2(dialog->message().contains(QStringLiteral("3 tuned key")), qPrintable(dialog->message()));
        const QStringList caches = filesBelow(store, QStringLiteral("cache.json"));
        QCOMPARE(caches.size(), 1);
        QVERIFY(dialog->message().contains(caches.first()));
        QVERIFY(caches.first().contains(QLatin1String("/dejavu_0.7/triton_3.3.1/cuda_12.4/gpu_NVIDIA_H100_80GB_HBM3/rmsnorm_kernel/")));
        const QJsonObject cache = QJsonDocument::fromJson(readAll(caches.first())).object();
        const QJsonObject entries = cache.value(QLatin1String("cache")).toObject();
        QCOMPARE(entries.size(), 3);
        const QStringList rows{QStringLiteral("1"), QStringLiteral("16"), QStringLiteral("256")};
        for (auto it = entries.begin(); it != entries.end(); ++it) {
            // Read back as the library does: key tuple and config arguments.
            const QStringList key = TritonConfigText::parseKeyString(it.key(), false);
            QCOMPARE(key.mid(1), (QStringList{QStringLiteral("torch.float16"), QStringLiteral("torch.float16"), QStringLiteral("torch.float16")}));
            const int index = int(rows.indexOf(key.value(0)));
            QVERIFY2(index >= 0, qPrintable(it.key()));
            auto config = TritonConfigText::parseConfigString(it.value().toString());
            QVERIFY2(config, qPrintable(config.error()));
            const QJsonObject best = m_best.value(m_rms[index]);
            for (const char* name : {"BLOCK", "num_warps", "num_stages"})
                QCOMPARE(config->value(QLatin1String(name)).toInt(), best.value(QLatin1String(name)).toInt());
        }

        // Triton's own cache for the matmul ladder (hash inputs made up, as tst_cliladder does):
        // each file is read back with the autotuner's rules and restores the session's best.
        const QJsonObject tc = dv::test::madeUpMatmulTritonCacheInputs();
        const QByteArray tcJson = QJsonDocument(QJsonObject{{QStringLiteral("triton_cache"), tc}}).toJson();
        const QString tcFile = m_dir.filePath(QStringLiteral("deploy-matmul.json"));
        {
            QFile f(tcFile);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(tcJson);
        }
        format->setCurrentText(QStringLiteral("triton-cache"));
        QVERIFY(deployment->isVisible());
        selectSessions(sessions, m_matmul);
        deployment->setText(tcFile);
        const QString cacheDir = m_dir.filePath(QStringLiteral("gui-triton-cache"));
        path->setText(cacheDir);
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 5, 60000);
        QVERIFY2(exported.at(4).at(0).toBool(), qPrintable(dialog->message()));
        auto tcDeployment = TritonCacheDeployment::fromJson(tcJson, tcFile);
        QVERIFY2(tcDeployment, qPrintable(tcDeployment.error()));
        for (int i = 0; i < 2; ++i) {
            const QString m = QString::number(i == 0 ? 1024 : 4096);
            const QString key = QStringLiteral("(%1, %1, %1, 'torch.float16', 'torch.float16', 'torch.float16')").arg(m);
            const QString file = cacheDir + QLatin1Char('/') + TritonCacheExporter::directoryName(tcDeployment.value(), key)
                                 + QStringLiteral("/matmul_kernel.autotune.json");
            auto used = TritonCacheExporter::readBack(tcDeployment.value(), readAll(file));
            QVERIFY2(used, qPrintable(file + QStringLiteral(": ") + used.error()));
            const QJsonObject best = m_best.value(m_matmul[i]);
            QVERIFY2(used.value().startsWith(QStringLiteral("BLOCK_M: %1, BLOCK_N: %2, BLOCK_K: %3,")
                                                 .arg(best.value(QLatin1String("BLOCK_M")).toInt()).arg(best.value(QLatin1String("BLOCK_N")).toInt())
                                                 .arg(best.value(QLatin1String("BLOCK_K")).toInt())), qPrintable(used.value()));
            QVERIFY2(dialog->details().contains(key + QStringLiteral(": ") + used.value()), qPrintable(dialog->details()));
        }
        format->setCurrentText(QStringLiteral("dejavu"));
        selectSessions(sessions, m_rms);

        // Refusals: no deployment file and none stored with the replayed sessions; a vLLM export of
        // RMSNorm sessions. The core's message, no directory written.
        deployment->clear();
        const QString refused = m_dir.filePath(QStringLiteral("gui-refused"));
        path->setText(refused);
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 6, 60000);
        QVERIFY(!exported.at(5).at(0).toBool());
        QVERIFY2(dialog->message().startsWith(QStringLiteral("Export failed: dejavu needs a deployment file")), qPrintable(dialog->message()));
        QVERIFY2(dialog->message().contains(QStringLiteral("session %1 holds no deployment values").arg(m_rms.first())), qPrintable(dialog->message()));
        QVERIFY(dialog->details().isEmpty());
        QVERIFY(!QFileInfo::exists(refused));
        format->setCurrentText(QStringLiteral("vllm"));
        path->setText(refused);
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 7, 60000);
        QVERIFY(!exported.at(6).at(0).toBool());
        QVERIFY2(dialog->message().contains(QStringLiteral("is not the fused MoE kernel vLLM's configuration files are for")), qPrintable(dialog->message()));
        QVERIFY(!QFileInfo::exists(refused));
        QVERIFY(button->isEnabled());
    }

private:
    QTemporaryDir m_dir;
    QString m_ladderDb;
    QString m_deployment;
    QVector<qint64> m_rms;
    QVector<qint64> m_matmul;
    QVector<qint64> m_moe;
    QMap<qint64, QJsonObject> m_best;
    QString m_db;
    qint64 m_id = 0;
    qint64 m_otherId = 0;
    QByteArray m_expectedCsv;
};

QTEST_MAIN(TestStudioExport)
#include "tst_studioexport.moc"
