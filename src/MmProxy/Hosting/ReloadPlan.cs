using MmProxy.Configuration.ConfigFile;

namespace MmProxy.Hosting;

/// <summary>
/// What a reload does, port by port, keyed by protocol and listen endpoint: keep (same settings;
/// only the allowed subnets may change, swapped under the running sockets), open (new key), close
/// (key gone: stop accepting, established connections finish) or reopen (same key, other settings).
/// </summary>
internal sealed class ReloadPlan
{
    private ReloadPlan(
        IReadOnlyList<(ListenerUnit Old, ListenerUnit New)> keep,
        IReadOnlyList<ListenerUnit> open,
        IReadOnlyList<ListenerUnit> close,
        IReadOnlyList<(ListenerUnit Old, ListenerUnit New)> reopen)
    {
        Keep = keep;
        Open = open;
        Close = close;
        Reopen = reopen;
    }

    public IReadOnlyList<(ListenerUnit Old, ListenerUnit New)> Keep { get; }

    public IReadOnlyList<ListenerUnit> Open { get; }

    public IReadOnlyList<ListenerUnit> Close { get; }

    public IReadOnlyList<(ListenerUnit Old, ListenerUnit New)> Reopen { get; }

    public static ReloadPlan Create(IEnumerable<ListenerUnit> current, IEnumerable<ListenerUnit> next)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(next);
        var byKey = new Dictionary<string, ListenerUnit>(StringComparer.Ordinal);
        foreach (ListenerUnit unit in current)
        {
            byKey[unit.Key] = unit;
        }

        var keep = new List<(ListenerUnit, ListenerUnit)>();
        var open = new List<ListenerUnit>();
        var reopen = new List<(ListenerUnit, ListenerUnit)>();
        foreach (ListenerUnit unit in next)
        {
            if (!byKey.Remove(unit.Key, out ListenerUnit? old))
            {
                open.Add(unit);
            }
            else if (old.HasSameSettings(unit))
            {
                keep.Add((old, unit));
            }
            else
            {
                reopen.Add((old, unit));
            }
        }

        return new ReloadPlan(keep, open, [.. byKey.Values], reopen);
    }
}
