namespace MmProxy.Inspect;

/// <summary>What to inspect: at most one of hex text or a file (otherwise stdin).</summary>
internal sealed record InspectRequest(string? Hex, string? File, int? MaxHeaderSize = null);
