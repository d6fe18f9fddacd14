#pragma once

#include "search/Strategy.h"

namespace dv {

/// Exhaustive search in enumeration order.
class GridStrategy : public Strategy {
public:
    QString name() const override { return QStringLiteral("grid"); }
    void initialize(const ConfigSpace& space, quint64 seed) override;
    std::vector<qint64> propose(const SearchHistory& history, int maxCount) override;

private:
    qint64 m_size = 0;
    qint64 m_cursor = 0;
};

} // namespace dv
