namespace MmProxy.Interop;

/// <summary>
/// What a system call returned: its non-negative value (a count or a descriptor), or the errno it
/// failed with. Expected failures (EAGAIN, a reset) are values like any other.
/// </summary>
internal readonly struct SysResult
{
    private SysResult(nint value, Errno error)
    {
        Value = value;
        Error = error;
    }

    /// <summary>The call's result; -1 when it failed.</summary>
    public nint Value { get; }

    public Errno Error { get; }

    public bool Succeeded => Error == Errno.Success;

    /// <summary>The value as an int (descriptors, message counts).</summary>
    public int Int => (int)Value;

    public static SysResult Failure(Errno error) => new(-1, error);

    /// <summary>From a raw return value: negative means failed, and errno is read now (call right after the native call).</summary>
    internal static SysResult From(nint returned) => returned >= 0 ? new SysResult(returned, Errno.Success) : new SysResult(-1, LibC.LastError);
}
