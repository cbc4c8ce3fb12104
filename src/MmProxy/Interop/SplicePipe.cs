namespace MmProxy.Interop;

/// <summary>
/// One kernel pipe (both ends non-blocking, close-on-exec) used as the in-kernel buffer between
/// two splice(2) calls. Owned by one relay direction at a time (via <see cref="PipePool"/>).
/// </summary>
internal sealed class SplicePipe : IDisposable
{
    private const int CloseOnExec = 0x80000;
    private const int NonBlock = 0x800;
    private const int SetPipeSize = 1031;
    private const int GetPipeSize = 1032;

    private int _disposed;

    private SplicePipe(int readFd, int writeFd, int capacity)
    {
        ReadFd = readFd;
        WriteFd = writeFd;
        Capacity = capacity;
    }

    public int ReadFd { get; }

    public int WriteFd { get; }

    /// <summary>Bytes the pipe holds before a write would block (F_GETPIPE_SZ).</summary>
    public int Capacity { get; }

    /// <summary>Creates a pipe, asking for <paramref name="requestedCapacity"/> bytes (0: the kernel default).</summary>
    public static unsafe SplicePipe? TryCreate(int requestedCapacity, out Errno errno)
    {
        int* fds = stackalloc int[2];
        if (LibC.Pipe2(fds, CloseOnExec | NonBlock) != 0)
        {
            errno = LibC.LastError;
            return null;
        }

        if (requestedCapacity > 0)
        {
            // Best effort: above fs.pipe-max-size or the per-user quota the default size stays.
            _ = LibC.Fcntl(fds[1], SetPipeSize, requestedCapacity);
        }

        int capacity = LibC.Fcntl(fds[1], GetPipeSize, 0);
        errno = Errno.Success;
        return new SplicePipe(fds[0], fds[1], capacity > 0 ? capacity : 65536);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _ = Descriptor.Close(ReadFd);
        _ = Descriptor.Close(WriteFd);
    }
}
