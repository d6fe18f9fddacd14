#include "analysis/BestSoFar.h"

namespace dv {

BestSoFar BestSoFar::fromTrials(const QVector<Trial>& trials, double beforeFirstOk)
{
    BestSoFar b(beforeFirstOk);
    for (const Trial& t : trials)
        b.add(t);
    return b;
}

void BestSoFar::add(const Trial& trial)
{
    const Measurement& m = trial.measurement;
    if (m.isOk() && (!m_haveOk || m.objectiveMs < m_best)) {
        m_best = m.objectiveMs;
        m_haveOk = true;
        m_bestSequence = trial.sequence;
        m_improvements.push_back(int(m_curve.size()));
    }
    m_curve.push_back(m_best);
}

} // namespace dv
