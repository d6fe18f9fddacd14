#include "space/Neighbourhood.h"

namespace dv {

Neighbourhood::Neighbourhood(const ConfigSpace& space)
    : m_space(space)
{
    const auto& params = space.parameters();
    m_stride.assign(size_t(params.size()), 1);
    for (int i = int(params.size()) - 2; i >= 0; --i)
        m_stride[size_t(i)] = m_stride[size_t(i + 1)] * quint64(params[i + 1].values.size());
    for (const Parameter& p : params) {
        m_radix.push_back(int(p.values.size()));
        m_categorical.push_back(p.type == ParameterType::String || p.type == ParameterType::Bool);
    }
}

qint64 Neighbourhood::indexOf(const std::vector<int>& valueIndices) const
{
    quint64 ordinal = 0;
    for (size_t i = 0; i < valueIndices.size(); ++i)
        ordinal += quint64(valueIndices[i]) * m_stride[i];
    return m_space.indexOfOrdinal(ordinal);
}

std::vector<qint64> Neighbourhood::adjacent(qint64 index) const
{
    std::vector<qint64> out;
    const quint64 ordinal = m_space.ordinal(index);
    const std::vector<int> v = m_space.valueIndices(index);
    for (size_t p = 0; p < v.size(); ++p) {
        auto tryValue = [&](int value) {
            const qint64 delta = qint64(value - v[p]) * qint64(m_stride[p]);
            const qint64 found = m_space.indexOfOrdinal(quint64(qint64(ordinal) + delta));
            if (found >= 0)
                out.push_back(found);
        };
        if (m_categorical[p]) {
            for (int value = 0; value < m_radix[p]; ++value)
                if (value != v[p])
                    tryValue(value);
        } else {
            if (v[p] > 0)
                tryValue(v[p] - 1);
            if (v[p] + 1 < m_radix[p])
                tryValue(v[p] + 1);
        }
    }
    return out;
}

std::vector<std::pair<size_t, qint64>> Neighbourhood::otherValueSteps(const std::vector<int>& valueIndices) const
{
    std::vector<std::pair<size_t, qint64>> steps;
    for (size_t p = 0; p < valueIndices.size(); ++p)
        for (int value = 0; value < m_radix[p]; ++value)
            if (value != valueIndices[p])
                steps.emplace_back(p, qint64(value - valueIndices[p]) * qint64(m_stride[p]));
    return steps;
}

std::vector<qint64> Neighbourhood::hamming(qint64 index) const
{
    std::vector<qint64> out;
    const qint64 ordinal = qint64(m_space.ordinal(index));
    for (const auto& [parameter, step] : otherValueSteps(m_space.valueIndices(index))) {
        const qint64 found = m_space.indexOfOrdinal(quint64(ordinal + step));
        if (found >= 0)
            out.push_back(found);
    }
    return out;
}

std::vector<qint64> Neighbourhood::hamming2(qint64 index) const
{
    std::vector<qint64> out;
    const qint64 ordinal = qint64(m_space.ordinal(index));
    const auto steps = otherValueSteps(m_space.valueIndices(index)); // ordered by parameter
    for (size_t i = 0; i < steps.size(); ++i) {
        for (size_t j = i + 1; j < steps.size(); ++j) {
            if (steps[j].first == steps[i].first)
                continue; // two values of one parameter
            const qint64 found = m_space.indexOfOrdinal(quint64(ordinal + steps[i].second + steps[j].second));
            if (found >= 0)
                out.push_back(found);
        }
    }
    return out;
}

} // namespace dv
