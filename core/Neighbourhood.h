#pragma once

#include "ConfigSpace.h"

#include <vector>

namespace dv {

/// Neighbours of a configuration within the valid set of a space, for local strategies.
/// Numeric parameters are ordinal (a step moves to the next or previous value in the list);
/// string and boolean parameters are categorical (any other value is one step away).
class Neighbourhood {
public:
    explicit Neighbourhood(const ConfigSpace& space);

    /// Valid configurations that differ in one parameter by one step.
    std::vector<qint64> adjacent(qint64 index) const;
    /// Valid configurations that differ in exactly one parameter, by any amount.
    std::vector<qint64> hamming(qint64 index) const;
    /// The valid configuration with the given value indices, or -1.
    qint64 indexOf(const std::vector<int>& valueIndices) const;
    bool isCategorical(int parameter) const { return m_categorical[size_t(parameter)]; }
    const ConfigSpace& space() const { return m_space; }

private:
    ConfigSpace m_space;
    std::vector<quint64> m_stride;
    std::vector<int> m_radix;
    std::vector<bool> m_categorical;
};

} // namespace dv
