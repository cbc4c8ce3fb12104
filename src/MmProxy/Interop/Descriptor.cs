namespace MmProxy.Interop;

/// <summary>close, read and write on raw descriptors (sockets the loops own, pipes, eventfds, standard error).</summary>
internal static unsafe class Descriptor
{
    public const int StandardError = 2;

    public static Errno Close(int fd) => LibC.Close(fd) == 0 ? Errno.Success : LibC.LastError;

    public static SysResult Read(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return SysResult.From(LibC.Read(fd, p, (nuint)buffer.Length));
        }
    }

    public static SysResult Write(int fd, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return SysResult.From(LibC.Write(fd, p, (nuint)buffer.Length));
        }
    }

    /// <summary>Writes all of <paramref name="bytes"/> (retrying on EINTR); false when the descriptor is closed or broken.</summary>
    public static bool WriteAll(int fd, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            SysResult written = Write(fd, bytes);
            if (written.Succeeded && written.Value > 0)
            {
                bytes = bytes[(int)written.Value..];
            }
            else if (written.Error != Errno.EINTR)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>open(2) read-only, close-on-exec (namespace files).</summary>
    public static SysResult OpenReadOnly(string path) => SysResult.From(LibC.Open(path, 0x80000));
}
