namespace MmProxy.Interop;

/// <summary>splice(2) between a socket and a pipe, non-blocking, moving pages where it can.</summary>
internal static class Splice
{
    private const uint Flags = 1 | 2; // SPLICE_F_MOVE | SPLICE_F_NONBLOCK

    /// <summary>Moves up to <paramref name="length"/> bytes from <paramref name="fromFd"/> to <paramref name="toFd"/>; 0 means end of stream.</summary>
    public static SysResult Move(int fromFd, int toFd, int length) =>
        SysResult.From(LibC.Splice(fromFd, 0, toFd, 0, (nuint)length, Flags));
}
