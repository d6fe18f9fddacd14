// A session can search a narrowing of its device's space (fewer values, extra constraints):
// only configurations in both are proposed, the narrowing is stored and survives a resume, and
// a narrowing that names other parameters or values is refused before anything is stored.

#include "TestSupport.h"
#include "session/Session.h"
#include "space/SpaceRestriction.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest>

using namespace dv;
using namespace dv::test;

namespace {

const QString kDevice = QStringLiteral("replay:h100/triton_rmsnorm_fp16_rows16_N4096");

QJsonObject narrowing(const QJsonArray& blocks, const QJsonArray& warps, const QJsonArray& stages,
                      const QStringList& constraints = {})
{
    auto param = [](const char* name, const QJsonArray& values) {
        return QJsonObject{{QStringLiteral("name"), QLatin1String(name)}, {QStringLiteral("values"), values}};
    };
    QJsonObject space{{QStringLiteral("name"), QStringLiteral("narrow")},
                      {QStringLiteral("parameters"),
                       QJsonArray{param("BLOCK", blocks), param("num_warps", warps), param("num_stages", stages)}}};
    if (!constraints.isEmpty())
        space.insert(QStringLiteral("constraints"), QJsonArray::fromStringList(constraints));
    return space;
}

} // namespace

class TestSpaceRestriction : public QObject {
    Q_OBJECT
private slots:
    void keepsOnlyTheAllowedConfigurationsOfTheDevice()
    {
        const ConfigSpace device = datasetSpace(kDevice);
        auto narrowed = SpaceRestriction::apply(device, narrowing({4096, 1024}, {4, 8, 16}, {1}, {QStringLiteral("num_warps * 32 <= BLOCK")}),
                                                QStringLiteral("narrow.json"));
        QVERIFY2(narrowed, qPrintable(narrowed.error()));
        const ConfigSpace& s = narrowed.value();
        // Values keep the device's order, whatever order the file lists them in.
        QCOMPARE(s.parameters()[0].values, (QVector<QJsonValue>{1024, 4096}));
        int expected = 0;
        for (qint64 i = 0; i < device.size(); ++i) {
            const QJsonObject c = device.config(i);
            const int block = c.value(QLatin1String("BLOCK")).toInt(), warps = c.value(QLatin1String("num_warps")).toInt();
            const bool allowed = (block == 1024 || block == 4096) && (warps == 4 || warps == 8 || warps == 16)
                && c.value(QLatin1String("num_stages")).toInt() == 1 && warps * 32 <= block;
            QCOMPARE(s.indexOf(c) >= 0, allowed);
            expected += allowed ? 1 : 0;
        }
        QVERIFY(expected > 0);
        QCOMPARE(s.size(), qint64(expected));
    }

    void refusesWhatIsNotANarrowing_data()
    {
        QTest::addColumn<QJsonObject>("space");
        QTest::addColumn<QString>("message");
        QJsonObject extra = narrowing({1024}, {4}, {1});
        QJsonArray params = extra.value(QLatin1String("parameters")).toArray();
        params.append(QJsonObject{{QStringLiteral("name"), QStringLiteral("VEC")}, {QStringLiteral("values"), QJsonArray{1}}});
        extra.insert(QStringLiteral("parameters"), params);
        QJsonObject missing = narrowing({1024}, {4}, {1});
        params = missing.value(QLatin1String("parameters")).toArray();
        params.removeLast();
        missing.insert(QStringLiteral("parameters"), params);
        QTest::newRow("unknown parameter") << extra << QStringLiteral("narrow.json: parameter 'VEC' is not a parameter of the device's space");
        QTest::newRow("missing parameter") << missing << QStringLiteral("narrow.json: parameter 'num_stages' of the device's space 'triton_rmsnorm_fp16_rows16_N4096' is missing");
        QTest::newRow("unknown value") << narrowing({1024, 999}, {4}, {1})
                                       << QStringLiteral("narrow.json: parameter 'BLOCK': value 999 is not one of the device's values");
        QTest::newRow("nothing left") << narrowing({256}, {32}, {1}, {QStringLiteral("num_warps * 32 <= BLOCK")})
                                      << QStringLiteral("narrow.json: the space allows none of the");
        QTest::newRow("bad constraint") << narrowing({256}, {4}, {1}, {QStringLiteral("BLOCK_Q > 1")})
                                        << QStringLiteral("unknown parameter 'BLOCK_Q'");
    }

    void refusesWhatIsNotANarrowing()
    {
        QFETCH(QJsonObject, space);
        QFETCH(QString, message);
        auto narrowed = SpaceRestriction::apply(datasetSpace(kDevice), space, QStringLiteral("narrow.json"));
        QVERIFY(!narrowed);
        QVERIFY2(narrowed.error().contains(message), qPrintable(narrowed.error()));
    }

    void aSessionSearchesOnlyTheNarrowingAndKeepsItOnResume()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("narrow.sqlite"));
        const QJsonObject space = narrowing({512, 1024, 2048}, {2, 4, 8}, {1, 2});
        SessionOptions o{QStringLiteral("random"), {}, 3, 7, 0};
        o.remeasureTop = 0;
        o.space = space;
        qint64 id = 0;
        {
            auto store = openStore(db);
            auto session = Session::create(*store, openDevice(kDevice), o);
            QVERIFY2(session, qPrintable(session.error()));
            QCOMPARE(session.value()->space().size(), qint64(18));
            QVERIFY(session.value()->run());
            id = session.value()->id();
            QCOMPARE(store->session(id)->space, space);
        }
        auto store = openStore(db);
        auto resumed = Session::resume(*store, openDevice(kDevice), id, 18);
        QVERIFY2(resumed, qPrintable(resumed.error()));
        QCOMPARE(resumed.value()->space().size(), qint64(18));
        auto reason = resumed.value()->run();
        QVERIFY(reason);
        QVERIFY2(reason.value() == QLatin1String("budget") || reason.value() == QLatin1String("exhausted"), qPrintable(reason.value()));
        const auto trials = store->trials(id).value();
        QCOMPARE(trials.size(), 18); // the whole narrowing, each configuration once
        QSet<QString> keys;
        for (const Trial& t : trials) {
            const int block = t.config.value(QLatin1String("BLOCK")).toInt(), warps = t.config.value(QLatin1String("num_warps")).toInt();
            const int stages = t.config.value(QLatin1String("num_stages")).toInt();
            QVERIFY2(block >= 512 && block <= 2048 && warps >= 2 && warps <= 8 && stages <= 2, qPrintable(t.configKey));
            keys.insert(t.configKey);
        }
        QCOMPARE(keys.size(), 18);
    }

    void aBadNarrowingStoresNothing()
    {
        auto store = openStore(QStringLiteral(":memory:"));
        SessionOptions o{QStringLiteral("random"), {}, 3, 7, 0};
        o.space = narrowing({1024, 999}, {4}, {1});
        o.spaceSource = QStringLiteral("mine.json");
        auto session = Session::create(*store, openDevice(kDevice), o);
        QVERIFY(!session);
        QVERIFY2(session.error().startsWith(QLatin1String("mine.json: parameter 'BLOCK'")), qPrintable(session.error()));
        QCOMPARE(store->sessions()->size(), 0);
    }
};

QTEST_GUILESS_MAIN(TestSpaceRestriction)
#include "tst_spacerestriction.moc"
