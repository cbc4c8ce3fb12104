namespace MmProxy.Routing;

/// <summary>
/// How our nft table compares with what apply would write: absent, the same, or different (lines
/// missing, lines we did not write, or ours in another order).
/// </summary>
internal sealed record NftTableDiff(bool Exists, IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected, bool OutOfOrder)
{
    public static NftTableDiff Absent { get; } = new(false, [], [], false);

    public bool IsSame => Exists && Missing.Count == 0 && Unexpected.Count == 0 && !OutOfOrder;

    /// <summary>"2 lines to add ('…', …), 1 to drop ('…')": what replacing the table changes, for apply's "changed" line.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (Missing.Count > 0)
        {
            parts.Add($"{Missing.Count} {(Missing.Count == 1 ? "line" : "lines")} to add ('{Missing[0]}'{(Missing.Count > 1 ? ", …" : string.Empty)})");
        }

        if (Unexpected.Count > 0)
        {
            parts.Add($"{Unexpected.Count} to drop ('{Unexpected[0]}'{(Unexpected.Count > 1 ? ", …" : string.Empty)})");
        }

        if (OutOfOrder)
        {
            parts.Add("rules repeated or in another order");
        }

        return string.Join(", ", parts);
    }
}
