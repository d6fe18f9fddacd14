// Worker protocol lines (docs/worker-protocol.md): what a worker process, possibly on another host
// or broken, writes to the engine, and what a worker reads from the engine. Each line of the input
// goes through every parser the engine and the workers use, and what parses writes back to itself.
#include "FuzzSupport.h"

#include "device/WorkerProtocol.h"

#include <QJsonDocument>
#include <QList>

using namespace dv;
namespace wp = dv::WorkerProtocol;

namespace {

void line(const QByteArray& text)
{
    if (auto hello = wp::parseHello(text)) {
        auto back = wp::parseHello(wp::encode(wp::helloMessage(hello.value())));
        if (!back)
            fuzz::invariant("hello does not read back:", back.error());
        if (back->backend != hello->backend || back->devices.size() != hello->devices.size() || back->versions != hello->versions
            || back->capabilities != hello->capabilities)
            fuzz::invariant("hello changed on the way back");
        wp::toolchainText(hello->backend, hello->versions);
    }
    auto object = wp::parseLine(text);
    if (!object)
        return;
    // Answers are checked against the request waiting; take the line's own id so that bodies are reached.
    const qint64 id = object->value(QLatin1String("id")).toInteger(1);
    if (auto reply = wp::parseReply(text, id, wp::kLoaded); reply && reply->type == QLatin1String(wp::kLoaded)) {
        if (auto loaded = wp::parseLoaded(reply.value())) {
            auto again = wp::parseReply(wp::encode(wp::loadedMessage(loaded.value())), id, wp::kLoaded);
            if (!again || !wp::parseLoaded(again.value()))
                fuzz::invariant("loaded does not read back");
        }
    }
    if (auto reply = wp::parseReply(text, id, wp::kMeasurement); reply && reply->type == QLatin1String(wp::kMeasurement)) {
        if (auto m = wp::parseMeasurement(reply.value())) {
            auto again = wp::parseReply(wp::encode(wp::measurementMessage(id, m.value())), id, wp::kMeasurement);
            auto back = again ? wp::parseMeasurement(again.value()) : Result<Measurement>(Error{again.error()});
            if (!back)
                fuzz::invariant("measurement does not read back:", back.error());
            if (back->status != m->status || back->samplesMs.size() != m->samplesMs.size())
                fuzz::invariant("measurement changed on the way back");
        }
    }
    if (auto reply = wp::parseReply(text, id, wp::kPrepared); reply && reply->type == QLatin1String(wp::kPrepared))
        wp::parsePrepared(reply.value());
    if (auto reply = wp::parseReply(text, id, wp::kBye); reply && reply->type == QLatin1String(wp::kError))
        wp::parseError(reply.value());
    // Requests, as a worker reads them.
    if (auto load = wp::parseLoad(object.value()); load && !wp::parseLoad(QJsonDocument::fromJson(wp::encode(wp::loadMessage(load.value()))).object()))
        fuzz::invariant("load does not read back");
    if (auto eval = wp::parseEvaluate(object.value()); eval && !wp::parseEvaluate(QJsonDocument::fromJson(wp::encode(wp::evaluateMessage(eval.value()))).object()))
        fuzz::invariant("evaluate does not read back");
    if (auto prep = wp::parsePrepare(object.value()); prep && !wp::parsePrepare(QJsonDocument::fromJson(wp::encode(wp::prepareMessage(prep.value()))).object()))
        fuzz::invariant("prepare does not read back");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    // The engine reads a worker's stdout line by line; the input is such a stream.
    const QByteArray input = fuzz::bytes(data, size);
    for (const QByteArray& text : input.split('\n'))
        line(text);
    return 0;
}
