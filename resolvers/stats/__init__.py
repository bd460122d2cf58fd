"""Statistics over an AssetWhere (assetStats, metadataFields, Set.stats, Session.stats).

Every statistic starts from `compile_asset_where`, the compiler `countAssets` uses, so a total is
always `countAssets(where)`; each aggregation is one SQL statement."""
