namespace MmProxy.ProxyProtocol;

/// <summary>Exactly one of: need more bytes, invalid (with a reason), complete (header + bytes consumed).</summary>
public readonly struct ProxyParseResult
{
    private ProxyParseResult(ProxyParseStatus status, ProxyParseError error, ProxyHeader header)
    {
        Status = status;
        Error = error;
        Header = header;
    }

    public ProxyParseStatus Status { get; }

    /// <summary><see cref="ProxyParseError.None"/> unless <see cref="Status"/> is Invalid.</summary>
    public ProxyParseError Error { get; }

    /// <summary>Valid only when <see cref="Status"/> is Complete.</summary>
    public ProxyHeader Header { get; }

    /// <summary>== Header.Length when Complete, else 0.</summary>
    public int BytesConsumed => Status == ProxyParseStatus.Complete ? Header.Length : 0;

    public bool IsComplete => Status == ProxyParseStatus.Complete;

    public bool IsInvalid => Status == ProxyParseStatus.Invalid;

    public bool IsNeedMore => Status == ProxyParseStatus.NeedMore;

    public static ProxyParseResult NeedMore => default;

    public static ProxyParseResult Invalid(ProxyParseError error) => new(ProxyParseStatus.Invalid, error, default);

    public static ProxyParseResult Complete(ProxyHeader header) => new(ProxyParseStatus.Complete, ProxyParseError.None, header);

    public override string ToString() => Status switch
    {
        ProxyParseStatus.Invalid => $"Invalid({Error.ToMessage()})",
        ProxyParseStatus.Complete => $"Complete(v{(int)Header.Version} {Header.Command} {Header.Family} {Header.Source} -> {Header.Destination}, {Header.Length} bytes, {Header.Tlvs.Count} TLVs)",
        _ => "NeedMore",
    };
}
