#pragma once

#include "ConfigSpace.h"

#include <Eigen/Dense>

#include <vector>

namespace dv {

/// Encodes configurations as points in [0,1]^d for surrogate models: a numeric parameter by the
/// rank of its value scaled to [0,1] (so power-of-two lists become evenly spaced), a string or
/// boolean parameter one-hot (one coordinate when it has two values). Parameters with a single
/// value carry no information and are dropped.
class ConfigEncoder {
public:
    explicit ConfigEncoder(const ConfigSpace& space);

    int dimensions() const { return m_dimensions; }
    /// Encodes the configurations at the given space indices, one row each.
    Eigen::MatrixXd encode(const std::vector<qint64>& indices) const;
    /// Encodes a configuration given by value indices (one per parameter).
    void encodeInto(const std::vector<int>& valueIndices, double* row) const;

private:
    struct Column {
        int parameter;
        int value;   ///< -1: ordinal (rank scaled); otherwise one-hot for this value
        double scale; ///< 1 / (number of values - 1) for ordinal columns
    };
    ConfigSpace m_space;
    std::vector<Column> m_columns;
    int m_dimensions = 0;
};

} // namespace dv
